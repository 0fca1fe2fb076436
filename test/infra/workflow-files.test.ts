import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  functionArnPlaceholder,
  handlerEntry,
  kebabCase,
  listWorkflows,
  pascalCase,
  readWorkflowDefinition,
  scanWorkflowReferences,
  stateMachineArnPlaceholder,
  WorkflowDefinitionError,
  workflowFile,
} from '../../functions/core/workflow-files.ts';
import { FIXTURE_STATE_MACHINES_DIR, scratchDir, workflowsDir } from './fixture-stack.ts';

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
      handlerEntry('/repo/functions', 'check-addon'),
      '/repo/functions/check-addon/handler.ts',
    );
    assert.equal(
      workflowFile('/repo/state-machines', 'associations'),
      '/repo/state-machines/associations.asl.json',
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
