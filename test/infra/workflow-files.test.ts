import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  contractFile,
  kubernetesApiTasks,
  loadTaskDescriptor,
  readTaskDescriptor,
  sharedTaskRoles,
} from '../../functions/core/task-descriptor.ts';
import {
  findTaskDir,
  functionArnPlaceholder,
  handlerEntry,
  kebabCase,
  listTasks,
  listWorkflows,
  pascalCase,
  readWorkflowDefinition,
  scanWorkflowReferences,
  stateMachineArnPlaceholder,
  WorkflowDefinitionError,
  workflowFile,
} from '../../functions/core/workflow-files.ts';
import {
  ASSOCIATIONS_TASKS,
  FIXTURE_FUNCTIONS_DIR,
  FIXTURE_STATE_MACHINES_DIR,
  scratchDir,
  workflowsDir,
} from './fixture-stack.ts';

/** `${Name}`, written without tripping the template-literal lint. */
const placeholder = (name: string): string => `\${${name}}`;

describe('scanWorkflowReferences', () => {
  it('finds the tasks, nested workflows and every placeholder of the parent fixture', () => {
    const parent = readWorkflowDefinition(workflowFile(FIXTURE_STATE_MACHINES_DIR, 'parent'));

    assert.deepEqual(parent.tasks, ['lookup-cluster', 'write-report']);
    assert.deepEqual(parent.nestedWorkflows, ['child']);
    assert.deepEqual(parent.placeholders, [
      'ChildStateMachineArn',
      'LookupClusterFunctionArn',
      'WriteReportFunctionArn',
    ]);
  });

  it('lists an extra substitution as a placeholder but not as a task or workflow', () => {
    const child = readWorkflowDefinition(workflowFile(FIXTURE_STATE_MACHINES_DIR, 'child'));

    assert.deepEqual(child.tasks, ['lookup-cluster']);
    assert.deepEqual(child.nestedWorkflows, []);
    assert.deepEqual(child.placeholders, ['ConfigBucketName', 'LookupClusterFunctionArn']);
  });

  it('reports a task referenced by several states once', () => {
    const references = scanWorkflowReferences(
      JSON.stringify({
        States: {
          A: { Resource: placeholder('EnsureRoleFunctionArn') },
          B: { Parameters: { FunctionName: placeholder('EnsureRoleFunctionArn') } },
          C: {
            Parameters: { StateMachineArn: placeholder('MigrateToPodIdentityStateMachineArn') },
          },
        },
      }),
    );

    assert.deepEqual(references.tasks, ['ensure-role']);
    assert.deepEqual(references.nestedWorkflows, ['migrate-to-pod-identity']);
  });

  it('ignores JSONPath and intrinsic syntax that only looks like a placeholder', () => {
    const references = scanWorkflowReferences(
      JSON.stringify({
        Parameters: { 'name.$': "States.Format('{}-x', $.cluster)", 'p.$': '$.a' },
      }),
    );

    assert.deepEqual(references.placeholders, []);
  });
});

describe('naming conventions', () => {
  it('maps PascalCase placeholder names to kebab-case folders and back', () => {
    assert.equal(kebabCase('CheckAddon'), 'check-addon');
    assert.equal(kebabCase('MigrateToPodIdentity'), 'migrate-to-pod-identity');
    assert.equal(pascalCase('check-addon'), 'CheckAddon');
    assert.equal(pascalCase('ec2-lookup'), 'Ec2Lookup');
    assert.equal(kebabCase(pascalCase('ec2-lookup')), 'ec2-lookup');
  });

  it('builds the placeholders and paths a task and a workflow are known by', () => {
    assert.equal(functionArnPlaceholder('check-addon'), 'CheckAddonFunctionArn');
    assert.equal(stateMachineArnPlaceholder('associations'), 'AssociationsStateMachineArn');
    assert.equal(
      handlerEntry(FIXTURE_FUNCTIONS_DIR, 'write-report'),
      path.join(FIXTURE_FUNCTIONS_DIR, 'parent', 'write-report', 'handler.ts'),
    );
    assert.equal(
      contractFile(FIXTURE_FUNCTIONS_DIR, 'lookup-cluster'),
      path.join(FIXTURE_FUNCTIONS_DIR, 'shared', 'lookup-cluster', 'contract.ts'),
    );
    assert.equal(
      workflowFile('/repo/state-machines', 'associations'),
      '/repo/state-machines/associations.asl.json',
    );
  });
});

/** A functions folder holding `<group>/<task>/handler.ts` for each path given as `group/task`. */
function functionsDir(tasks: string[]): string {
  const dir = scratchDir('functions');
  for (const task of tasks) {
    mkdirSync(path.join(dir, task), { recursive: true });
    writeFileSync(path.join(dir, task, 'handler.ts'), 'export const handler = () => null;\n');
  }
  return dir;
}

describe('finding a task in its group', () => {
  it('finds each task as <group>/<task>/handler.ts, whatever its group', () => {
    const dir = functionsDir(['alpha/first', 'beta/second', 'shared/third']);
    mkdirSync(path.join(dir, 'core', 'helpers'), { recursive: true });

    assert.deepEqual(
      [...listTasks(dir)],
      [
        ['first', path.join(dir, 'alpha', 'first')],
        ['second', path.join(dir, 'beta', 'second')],
        ['third', path.join(dir, 'shared', 'third')],
      ],
    );
    assert.equal(findTaskDir(dir, 'second'), path.join(dir, 'beta', 'second'));
    assert.equal(findTaskDir(dir, 'helpers'), undefined);
  });

  it('names the pattern it looked for when no group has the task', () => {
    const dir = functionsDir(['alpha/first']);

    assert.throws(
      () => handlerEntry(dir, 'absent'),
      (error: unknown) =>
        error instanceof WorkflowDefinitionError &&
        error.message === `${path.join(dir, '*', 'absent', 'handler.ts')} does not exist`,
    );
  });

  it('rejects a task name found in two groups, naming both folders', () => {
    const dir = functionsDir(['alpha/twice', 'beta/twice']);

    assert.throws(
      () => handlerEntry(dir, 'twice'),
      (error: unknown) =>
        error instanceof WorkflowDefinitionError &&
        error.message.includes(path.join(dir, 'alpha', 'twice')) &&
        error.message.includes(path.join(dir, 'beta', 'twice')) &&
        error.message.includes('two groups'),
    );
  });

  it('finds the fixtures, which follow the same layout', () => {
    assert.deepEqual(
      [...listTasks(FIXTURE_FUNCTIONS_DIR).keys()],
      [...ASSOCIATIONS_TASKS, 'lookup-cluster', 'write-report'].sort(),
    );
  });
});

describe('listWorkflows', () => {
  it('lists the .asl.json files of a folder by workflow name, sorted', () => {
    assert.deepEqual(listWorkflows(FIXTURE_STATE_MACHINES_DIR), ['child', 'parent']);
  });

  it('returns no workflow for an empty or missing folder', () => {
    assert.deepEqual(listWorkflows(scratchDir('empty')), []);
    assert.deepEqual(listWorkflows(path.join(scratchDir('missing'), 'state-machines')), []);
  });
});

describe('readWorkflowDefinition', () => {
  it('rejects a file that is not JSON, naming the file', () => {
    const dir = workflowsDir({ broken: '{ "StartAt": ' });

    assert.throws(
      () => readWorkflowDefinition(workflowFile(dir, 'broken')),
      (error: unknown) =>
        error instanceof WorkflowDefinitionError &&
        /broken\.asl\.json is not valid JSON/.test(error.message),
    );
  });

  it('rejects a file whose JSON is not an object', () => {
    const dir = workflowsDir({ list: [] });

    assert.throws(() => readWorkflowDefinition(workflowFile(dir, 'list')), WorkflowDefinitionError);
  });

  it('rejects a workflow name that is not kebab-case, since no placeholder could name it', () => {
    const dir = workflowsDir({ MyWorkflow: { StartAt: 'A', States: {} } });

    assert.throws(
      () => readWorkflowDefinition(workflowFile(dir, 'MyWorkflow')),
      /workflow names must be kebab-case/,
    );
  });

  it('rejects a missing file', () => {
    assert.throws(
      () => readWorkflowDefinition(workflowFile(scratchDir('none'), 'absent')),
      /absent\.asl\.json does not exist/,
    );
  });
});

describe('task descriptors', () => {
  it("reads a task's descriptor from its contract, synchronously (infra) and as ESM (runner)", async () => {
    const expected = readTaskDescriptor(FIXTURE_FUNCTIONS_DIR, 'apply-association-batch');

    assert.equal(expected.timeout.timeoutSeconds, 30);
    assert.equal(expected.sharedRole, 'AssociationsKubernetes');
    assert.equal(expected.kubernetesApi, true);
    assert.deepEqual(
      await loadTaskDescriptor(FIXTURE_FUNCTIONS_DIR, 'apply-association-batch'),
      expected,
    );
  });

  it('groups tasks by shared role and lists the Kubernetes-calling ones', () => {
    assert.deepEqual(sharedTaskRoles(FIXTURE_FUNCTIONS_DIR), {
      AssociationsKubernetes: ['apply-association-batch', 'ensure-kubernetes-access'],
    });
    assert.deepEqual(kubernetesApiTasks(FIXTURE_FUNCTIONS_DIR), ['apply-association-batch']);
  });

  it('completes the worst case a contract states: one call throttled if it makes any, no waits', () => {
    const stated = {
      'no-calls': { sequentialCalls: 0, why: 'fixture' },
      calls: { sequentialCalls: 4, why: 'fixture' },
      'more-throttled': { sequentialCalls: 4, throttledCalls: 2, waitSeconds: 25, why: 'fixture' },
    };
    const dir = functionsDir(Object.keys(stated).map((task) => `alpha/${task}`));
    for (const [task, worstCase] of Object.entries(stated)) {
      writeFileSync(
        path.join(dir, 'alpha', task, 'contract.ts'),
        `export const descriptor = ${JSON.stringify({ timeoutSeconds: 180, worstCase, awsCalls: [], grants: [] })};\n`,
      );
    }

    const worstCase = (task: string) => readTaskDescriptor(dir, task).timeout.worstCase;
    assert.deepEqual(worstCase('no-calls'), {
      sequentialCalls: 0,
      throttledCalls: 0,
      waitSeconds: 0,
      why: 'fixture',
    });
    assert.deepEqual(worstCase('calls'), {
      sequentialCalls: 4,
      throttledCalls: 1,
      waitSeconds: 0,
      why: 'fixture',
    });
    assert.deepEqual(worstCase('more-throttled'), stated['more-throttled']);
    assert.equal(readTaskDescriptor(dir, 'calls').timeout.timeoutSeconds, 180);
  });

  it('rejects a task without a contract, or whose contract exports no valid descriptor', () => {
    const dir = functionsDir(['alpha/bare', 'alpha/none', 'alpha/bad']);
    writeFileSync(path.join(dir, 'alpha', 'none', 'contract.ts'), 'export const input = 1;\n');
    writeFileSync(
      path.join(dir, 'alpha', 'bad', 'contract.ts'),
      'export const descriptor = { timeoutSeconds: 901, worstCase: {} };\n',
    );

    const rejects = (task: string, pattern: RegExp) =>
      assert.throws(
        () => readTaskDescriptor(dir, task),
        (error: unknown) => error instanceof WorkflowDefinitionError && pattern.test(error.message),
      );
    rejects('bare', /contract\.ts is missing/);
    rejects('none', /exports no descriptor/);
    rejects('bad', /timeoutSeconds/);
  });

  it('rejects AWS calls and grants that are malformed, repeated or missing', () => {
    const timeout = { timeoutSeconds: 30, worstCase: { sequentialCalls: 0, why: 'fixture' } };
    const cases = {
      'no-grants': { ...timeout, awsCalls: [] },
      'sdk-spelling': { ...timeout, awsCalls: ['DescribeClusterCommand'], grants: [] },
      'twice-called': {
        ...timeout,
        awsCalls: ['eks:DescribeCluster', 'eks:DescribeCluster'],
        grants: [],
      },
      'bad-grant': { ...timeout, awsCalls: [], grants: ['Run Documents'] },
      'twice-granted': {
        ...timeout,
        awsCalls: [],
        grants: ['describe-clusters', 'describe-clusters'],
      },
    };
    const dir = functionsDir(Object.keys(cases).map((task) => `alpha/${task}`));
    for (const [task, descriptor] of Object.entries(cases)) {
      writeFileSync(
        path.join(dir, 'alpha', task, 'contract.ts'),
        `export const descriptor = ${JSON.stringify(descriptor)};\n`,
      );
    }

    const rejects = (task: string, pattern: RegExp) =>
      assert.throws(
        () => readTaskDescriptor(dir, task),
        (error: unknown) => error instanceof WorkflowDefinitionError && pattern.test(error.message),
      );
    rejects('no-grants', /grants/);
    rejects('sdk-spelling', /an IAM action, service prefix and API name/);
    rejects('twice-called', /eks:DescribeCluster is listed twice/);
    rejects('bad-grant', /a grant name of infra\/grants\.ts/);
    rejects('twice-granted', /describe-clusters is listed twice/);
  });
});
