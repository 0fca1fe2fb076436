import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { guardrailsFromContext } from './guardrails.ts';
import {
  PodIdentityAutomationStack,
  type PodIdentityAutomationStackProps,
} from './stacks/pod-identity-automation-stack.ts';

export const STACK_NAME = 'EksPodIdentityAutomation';

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
 * The deployable app: the stack checked by cdk-nag's AWS Solutions rules, so any finding that is
 * not acknowledged with a reason fails the synth. Shared by infra/app.ts and the tests.
 *
 * Context `guardrails` sets the deployment's guardrails (infra/guardrails.ts), e.g.
 * `cdk deploy -c guardrails='{"allowedNamespaces":["team-*"]}'` or an object in cdk.json; stack
 * props given here win over context.
 */
export function createAutomationApp(options: AutomationAppOptions = {}): {
  app: App;
  stack: PodIdentityAutomationStack;
} {
  const app = new App(options.appProps);
  const stack = new PodIdentityAutomationStack(app, STACK_NAME, {
    workflows: workflowsFromContext(app),
    guardrails: guardrailsFromContext(app.node),
    ...options.stackProps,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
