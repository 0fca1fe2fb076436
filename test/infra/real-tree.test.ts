/**
 * The one infra test that reads the repository's real state-machines/ and functions/ instead of
 * the fixtures: the app as `cdk synth` builds it (bundling skipped), cdk-nag included.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import {
  handlerEntry,
  listWorkflows,
  readWorkflowDefinition,
  workflowFile,
} from '../../functions/core/workflow-files.ts';
import { createAutomationApp } from '../../infra/automation-app.ts';
import { FUNCTIONS_DIR, STATE_MACHINES_DIR } from '../../infra/paths.ts';
import { logicalIdOf, testAppProps } from './fixture-stack.ts';

const realTasks = [
  ...new Set(
    listWorkflows(STATE_MACHINES_DIR).flatMap(
      (workflow) => readWorkflowDefinition(workflowFile(STATE_MACHINES_DIR, workflow)).tasks,
    ),
  ),
].sort();
const missingHandlers = realTasks.filter((task) => !existsSync(handlerEntry(FUNCTIONS_DIR, task)));

describe('the real tree (state-machines/ and functions/)', () => {
  it('has a handler for every task the workflows name', () => {
    assert.deepEqual(missingHandlers, []);
  });

  it('synthesises every workflow with every cdk-nag finding acknowledged', () => {
    const appProps = testAppProps();
    const { app, stack } = createAutomationApp({ appProps });

    let error: unknown;
    try {
      app.synth();
    } catch (caught) {
      error = caught;
    }
    const report = readFileSync(path.join(appProps.outdir ?? '', 'validation-report.json'), 'utf8');
    assert.equal(error, undefined, report);
    assert.deepEqual([...stack.workflows.keys()].sort(), listWorkflows(STATE_MACHINES_DIR));
    assert.deepEqual([...stack.taskFunctions.keys()].sort(), realTasks);
  });

  it('starts the real associations workflow on config uploads', () => {
    const { stack } = createAutomationApp({ appProps: testAppProps() });
    const associations = stack.workflows.get('associations');
    const trigger = stack.configUploadTrigger;
    assert.ok(associations);
    assert.ok(trigger);

    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        {
          Id: 'Target0',
          Arn: { Ref: logicalIdOf(associations.stateMachine) },
          RoleArn: { 'Fn::GetAtt': [logicalIdOf(trigger.role), 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [logicalIdOf(trigger.deadLetterQueue), 'Arn'] },
          },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        },
      ],
    });
  });
});
