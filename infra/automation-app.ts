import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { driftScheduleFromContext, healDriftFromContext } from './drift-schedule.ts';
import { StackNameError } from './errors.ts';
import { guardrailsFromContext, migratableRolesFromContext } from './guardrails.ts';
import { STACK_NAME } from './stack-outputs.ts';
import {
  PodIdentityAutomationStack,
  type PodIdentityAutomationStackProps,
} from './stacks/pod-identity-automation-stack.ts';

export { STACK_NAME };

export interface AutomationAppOptions {
  /** @default new App() defaults */
  readonly appProps?: AppProps;
  /** @default the stack's defaults (the repository's workflows and tasks) */
  readonly stackProps?: PodIdentityAutomationStackProps;
}

/**
 * `cdk synth -c workflows=ensure-addon,associations` deploys only those workflows (and what they
 * nest), e.g. while another workflow still references tasks that do not exist yet.
 */
const WORKFLOWS_CONTEXT_KEY = 'workflows';

function workflowsFromContext(app: App): string[] | undefined {
  const value: unknown = app.node.tryGetContext(WORKFLOWS_CONTEXT_KEY);
  if (typeof value !== 'string') return undefined;
  return value
    .split(',')
    .map((workflow) => workflow.trim())
    .filter((workflow) => workflow !== '');
}

/**
 * `cdk deploy -c stackName=pod-identity-prod` deploys a second copy of the service (e.g. per
 * team or stage) in the same account and region; `eks-pia --engine remote --stack-name` finds it.
 */
const STACK_NAME_CONTEXT_KEY = 'stackName';

function stackNameFromContext(app: App): string {
  const value: unknown = app.node.tryGetContext(STACK_NAME_CONTEXT_KEY);
  if (value === undefined) return STACK_NAME;
  if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(value)) {
    throw new StackNameError(
      `context "${STACK_NAME_CONTEXT_KEY}" must be a CloudFormation stack name: a letter, then ` +
        'letters, digits and hyphens, 128 characters at most',
    );
  }
  return value;
}

/**
 * The deployable app: the stack checked by cdk-nag's AWS Solutions rules, so any finding that is
 * not acknowledged with a reason fails the synth. Shared by infra/app.ts and the tests.
 *
 * Context `guardrails` sets the deployment's guardrails (infra/guardrails.ts), e.g.
 * `cdk deploy -c guardrails='{"allowedNamespaces":["team-*"]}'` or an object in cdk.json; stack
 * props given here win over context. Context `vpc` places the Kubernetes-calling tasks in a VPC
 * (infra/network.ts); context `migratableRoleArnPatterns` bounds the roles migration may edit;
 * context `stackName` names the stack; contexts `driftCheckSchedule` and `healDrift` set when the
 * drift check runs and whether it heals (infra/drift-schedule.ts).
 */
export function createAutomationApp(options: AutomationAppOptions = {}): {
  app: App;
  stack: PodIdentityAutomationStack;
} {
  const app = new App(options.appProps);
  const stack = new PodIdentityAutomationStack(app, stackNameFromContext(app), {
    workflows: workflowsFromContext(app),
    guardrails: guardrailsFromContext(app.node),
    migratableRoleArnPatterns: migratableRolesFromContext(app.node),
    driftCheckSchedule: driftScheduleFromContext(app.node),
    healDrift: healDriftFromContext(app.node),
    ...options.stackProps,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
