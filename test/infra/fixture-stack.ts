import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type AppProps, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import {
  PodIdentityAutomationStack,
  type PodIdentityAutomationStackProps,
} from '../../infra/stacks/pod-identity-automation-stack.ts';

export const FIXTURES_DIR = path.join(import.meta.dirname, 'fixtures');
export const FIXTURE_FUNCTIONS_DIR = path.join(FIXTURES_DIR, 'functions');
export const FIXTURE_STATE_MACHINES_DIR = path.join(FIXTURES_DIR, 'state-machines');
/**
 * A trimmed copy of the associations workflow: the real task names, whose fixture descriptors list
 * the real tasks' grants, with trivial handlers in FIXTURE_FUNCTIONS_DIR, so these tests do not
 * wait for the real handlers.
 */
export const FIXTURE_ASSOCIATIONS_DIR = path.join(FIXTURES_DIR, 'associations');

/** The tasks of the associations workflow, as state-machines/associations.asl.json names them. */
export const ASSOCIATIONS_TASKS = [
  'read-association-config',
  'load-association-request',
  'check-cluster-readiness',
  'get-associations',
  'plan-associations',
  'ensure-kubernetes-access',
  'prepare-association-batch',
  'apply-association-batch',
  'report-associations',
] as const;

// Every synth writes a cloud assembly; keep them in one folder this test process removes on exit.
const SCRATCH_ROOT = mkdtempSync(path.join(tmpdir(), 'eks-pia-infra-test-'));
process.on('exit', () => rmSync(SCRATCH_ROOT, { recursive: true, force: true }));

/** A fresh folder under this process's scratch root. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(path.join(SCRATCH_ROOT, `${prefix}-`));
}

/** Bundling is what makes a synth slow, and most tests are about the template, not the asset. */
export const NO_BUNDLING = { context: { 'aws:cdk:bundling-stacks': [] } } as const;

/** App props that write the assembly to scratch; bundling skipped unless `bundle` is set. */
export function testAppProps(options: { bundle?: boolean } = {}): AppProps {
  return {
    outdir: scratchDir('cdk.out'),
    ...(options.bundle === true ? {} : { context: { ...NO_BUNDLING.context } }),
  };
}

/** Writes workflow files (name → ASL object or raw text) to a fresh folder and returns it. */
export function workflowsDir(files: Readonly<Record<string, unknown>>): string {
  const dir = scratchDir('state-machines');
  mkdirSync(dir, { recursive: true });
  for (const [workflow, content] of Object.entries(files)) {
    const text = typeof content === 'string' ? content : JSON.stringify(content, null, 2);
    writeFileSync(path.join(dir, `${workflow}.asl.json`), text);
  }
  return dir;
}

export const FIXTURE_STACK_PROPS: PodIdentityAutomationStackProps = {
  functionsDir: FIXTURE_FUNCTIONS_DIR,
  stateMachinesDir: FIXTURE_STATE_MACHINES_DIR,
  substitutions: { ConfigBucketName: 'fixture-configs' },
};

/** The stack built from the fixtures (props override them), with bundling skipped. */
export function fixtureStack(props: PodIdentityAutomationStackProps = {}): {
  app: App;
  stack: PodIdentityAutomationStack;
} {
  const app = new App(testAppProps());
  const stack = new PodIdentityAutomationStack(app, 'Fixture', {
    ...FIXTURE_STACK_PROPS,
    ...props,
  });
  return { app, stack };
}

/** The stack built from the associations fixture, whose tasks have the real tasks' grants. */
export function associationsFixtureStack(props: PodIdentityAutomationStackProps = {}): {
  app: App;
  stack: PodIdentityAutomationStack;
} {
  return fixtureStack({
    stateMachinesDir: FIXTURE_ASSOCIATIONS_DIR,
    substitutions: undefined,
    ...props,
  });
}

/** The logical ID CloudFormation knows a construct's main resource by. */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild as CfnElement | undefined;
  if (resource === undefined) throw new Error(`${construct.node.path} has no default child`);
  return Stack.of(construct).getLogicalId(resource);
}

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '111122223333',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * Turns the intrinsics CDK writes for ARNs into comparable strings: pseudo parameters become fixed
 * values, `Ref` and `Fn::GetAtt` of a resource become `<LogicalId>` and `<LogicalId.Attribute>`.
 */
export function resolveIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const intrinsic = value as Record<string, unknown>;
    const ref = intrinsic.Ref;
    if (typeof ref === 'string') return PSEUDO_PARAMETERS[ref] ?? `<${ref}>`;
    const getAtt = intrinsic['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = intrinsic['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(resolveIntrinsic).join(join[0]);
    }
  }
  throw new Error(`No resolver for ${JSON.stringify(value)}`);
}

/** What CloudFormation does with `DefinitionString` + `DefinitionSubstitutions`, parsed. */
export function substitutedDefinition(
  definitionString: unknown,
  substitutions: Readonly<Record<string, unknown>>,
): unknown {
  let text = resolveIntrinsic(definitionString);
  for (const [name, value] of Object.entries(substitutions)) {
    text = text.replaceAll(`\${${name}}`, resolveIntrinsic(value));
  }
  return JSON.parse(text);
}

/** One statement of a policy, with actions and resources as lists of comparable strings. */
export interface ResolvedStatement {
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of the task policy of one task's function, resolved with resolveIntrinsic. */
export function taskPolicyStatements(
  stack: PodIdentityAutomationStack,
  task: string,
): ResolvedStatement[] {
  const fn = stack.taskFunctions.get(task);
  if (fn === undefined) throw new Error(`no function for task ${task}`);
  const policy = fn.node.tryFindChild('TaskPolicy');
  if (policy === undefined) return [];
  const document = stack.resolve((policy as iam.Policy).document) as {
    Statement: {
      Effect: string;
      Action: string | string[];
      Resource: unknown;
      Condition?: Record<string, Record<string, unknown>>;
    }[];
  };
  return document.Statement.map((statement) => ({
    Effect: statement.Effect,
    Action: [statement.Action].flat(),
    Resource: [statement.Resource].flat().map(resolveIntrinsic),
    ...(statement.Condition === undefined ? {} : { Condition: statement.Condition }),
  }));
}

/** The properties of one resource of a template, failing when it is not there. */
export function propertiesOf<T>(template: Template, type: string, logicalId: string): T {
  const resource = template.findResources(type)[logicalId];
  if (resource === undefined) throw new Error(`no ${type} ${logicalId} in the template`);
  return resource.Properties as T;
}

/** The environment variables of a task's function in the synthesised template. */
export function variablesOfTask(
  stack: PodIdentityAutomationStack,
  task: string,
  template: Template = Template.fromStack(stack),
): Record<string, unknown> {
  const fn = stack.taskFunctions.get(task);
  if (fn === undefined) throw new Error(`no function for task ${task}`);
  return propertiesOf<{ Environment: { Variables: Record<string, unknown> } }>(
    template,
    'AWS::Lambda::Function',
    logicalIdOf(fn),
  ).Environment.Variables;
}

/** The name a workflow's log group gets in a template: unique to each deployment of the stack. */
export function expectedLogGroupName(stackName: string, workflow: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        `/aws/vendedlogs/states/${stackName}/${workflow}-`,
        { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
      ],
    ],
  };
}
