/**
 * The one infra test that reads the repository's real state-machines/ and functions/ instead of
 * the fixtures: the app as `cdk synth` builds it (bundling skipped), cdk-nag included.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import {
  findTaskDir,
  listTasks,
  listWorkflows,
  readWorkflowDefinition,
  SHARED_TASK_GROUP,
  TASK_GROUP_OF_WORKFLOW,
  workflowFile,
  workflowsByTask,
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
const missingHandlers = realTasks.filter((task) => findTaskDir(FUNCTIONS_DIR, task) === undefined);

describe('the real tree (state-machines/ and functions/)', () => {
  it('has a handler for every task the workflows name', () => {
    assert.deepEqual(missingHandlers, []);
  });

  it("keeps each task in its workflow's group, and in shared/ exactly when several workflows use it", () => {
    const expected = new Map<string, string>();
    for (const [task, workflows] of workflowsByTask(STATE_MACHINES_DIR)) {
      const groups = workflows.map((workflow) => {
        const group = TASK_GROUP_OF_WORKFLOW[workflow];
        assert.ok(group, `workflow ${workflow} has no group in TASK_GROUP_OF_WORKFLOW`);
        return group;
      });
      expected.set(task, workflows.length > 1 ? SHARED_TASK_GROUP : (groups[0] as string));
    }
    const actual = new Map(
      [...listTasks(FUNCTIONS_DIR)].map(([task, dir]) => [
        task,
        path.relative(FUNCTIONS_DIR, path.dirname(dir)),
      ]),
    );
    assert.deepEqual(
      Object.fromEntries([...actual].sort()),
      Object.fromEntries([...expected].sort()),
    );
  });

  it('has nothing at the top of functions/ but core/, aws/ and the task groups', () => {
    const groups = new Set([...Object.values(TASK_GROUP_OF_WORKFLOW), SHARED_TASK_GROUP]);
    const stray = readdirSync(FUNCTIONS_DIR).filter(
      (name) => !['core', 'aws'].includes(name) && !groups.has(name),
    );
    assert.deepEqual(stray, []);
    for (const group of groups) {
      const notTasks = readdirSync(path.join(FUNCTIONS_DIR, group)).filter(
        (name) => !existsSync(path.join(FUNCTIONS_DIR, group, name, 'handler.ts')),
      );
      assert.deepEqual(notTasks, [], `functions/${group}/ holds only task folders`);
    }
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
