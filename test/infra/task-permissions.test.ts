import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { handlerEntry } from '../../functions/core/workflow-files.ts';
import { TaskFunction } from '../../infra/constructs/task-function.ts';
import { MissingTaskPermissionsError } from '../../infra/errors.ts';
import { TASK_PERMISSIONS, taskPermissionsFor } from '../../infra/task-permissions.ts';
import {
  FIXTURE_FUNCTIONS_DIR,
  FIXTURE_PERMISSIONS,
  fixtureStack,
  logicalIdOf,
  permissionContext,
  testAppProps,
} from './fixture-stack.ts';

describe('taskPermissionsFor', () => {
  it('builds the statements of a task in the given stack', () => {
    const permissions = taskPermissionsFor(
      FIXTURE_PERMISSIONS,
      'lookup-cluster',
      permissionContext(new Stack()),
    );

    assert.deepEqual(
      permissions.statements.map((statement) => statement.actions),
      [['eks:DescribeCluster']],
    );
  });

  it('refuses a task that has no entry, telling where to add one', () => {
    assert.throws(
      () =>
        taskPermissionsFor(
          FIXTURE_PERMISSIONS,
          'delete-everything',
          permissionContext(new Stack()),
        ),
      (error: unknown) =>
        error instanceof MissingTaskPermissionsError &&
        error.name === 'MissingTaskPermissionsError' &&
        /Task delete-everything has no entry in infra\/task-permissions\.ts/.test(error.message),
    );
  });

  it('does not mistake inherited object keys for entries', () => {
    assert.throws(
      () => taskPermissionsFor(FIXTURE_PERMISSIONS, 'constructor', permissionContext(new Stack())),
      MissingTaskPermissionsError,
    );
  });
});

describe('task permissions in the stack', () => {
  it('fails the synth when a workflow uses a task that has no permission entry', () => {
    const { 'lookup-cluster': lookupCluster } = FIXTURE_PERMISSIONS;
    assert.ok(lookupCluster);

    assert.throws(
      () => fixtureStack({ taskPermissions: { 'lookup-cluster': lookupCluster } }),
      (error: unknown) =>
        error instanceof MissingTaskPermissionsError && /Task write-report/.test(error.message),
    );
  });

  it('attaches a task’s statements, in a policy of their own, to that task’s role only', () => {
    const { stack } = fixtureStack();
    const template = Template.fromStack(stack);
    const lookupCluster = stack.taskFunctions.get('lookup-cluster');
    assert.ok(lookupCluster?.role);

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^LookupClusterFunctionTaskPolicy'),
      Roles: [{ Ref: logicalIdOf(lookupCluster.role) }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'eks:DescribeCluster',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':eks:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':cluster/*',
                ],
              ],
            },
          },
        ],
      },
    });
    const eksGrants = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy).includes('eks:'),
    );
    assert.equal(eksGrants.length, 1);
  });

  it('creates no task policy for a task that calls no AWS API', () => {
    const { stack } = fixtureStack();
    const template = Template.fromStack(stack);

    assert.deepEqual(
      Object.keys(template.findResources('AWS::IAM::Policy')).filter((id) =>
        id.includes('TaskPolicy'),
      ),
      [logicalIdOf(stack.node.findChild('LookupClusterFunction').node.findChild('TaskPolicy'))],
    );
  });

  it('adds statements given later to the same task policy', () => {
    const { stack } = fixtureStack();
    const lookupCluster = stack.taskFunctions.get('lookup-cluster');
    assert.ok(lookupCluster);

    lookupCluster.addTaskPermissions({
      statements: [new iam.PolicyStatement({ actions: ['eks:ListClusters'], resources: ['*'] })],
    });

    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^LookupClusterFunctionTaskPolicy'),
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: 'eks:DescribeCluster' }),
          Match.objectLike({ Action: 'eks:ListClusters' }),
        ],
      },
    });
  });
});

describe('TASK_PERMISSIONS', () => {
  const guardrailVariants = [
    {},
    {
      enforcedPermissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/eks-pia-boundary',
      allowedRoleArnPatterns: ['arn:aws:iam::111122223333:role/apps/*'],
    },
  ];

  for (const [task, provider] of Object.entries(TASK_PERMISSIONS)) {
    it(`${task}: passes cdk-nag, with a reason for each acknowledged wildcard, in any environment and with any guardrails`, () => {
      for (const env of [undefined, { account: '111122223333', region: 'eu-west-1' }]) {
        for (const guardrails of guardrailVariants) {
          const app = new App(testAppProps());
          const stack = new Stack(app, 'Permissions', { env });
          const fn = new TaskFunction(stack, 'Task', {
            entry: handlerEntry(FIXTURE_FUNCTIONS_DIR, 'write-report'),
            timeout: Duration.seconds(30),
          });
          const permissions = provider(permissionContext(stack, { guardrails, role: fn.taskRole }));
          fn.addTaskPermissions(permissions);
          Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

          assert.doesNotThrow(
            () => app.synth(),
            `${task} in ${env?.region ?? 'any region'} with guardrails ${JSON.stringify(guardrails)}`,
          );
          for (const { reason } of permissions.acknowledgements ?? []) {
            assert.ok(reason.length > 30, `a reason, not a placeholder: "${reason}"`);
          }
        }
      }
    });
  }

  it('grants no action with a wildcard to any task', () => {
    const context = permissionContext(new Stack());
    for (const [task, provider] of Object.entries(TASK_PERMISSIONS)) {
      const actions = provider(context).statements.flatMap((statement) => statement.actions);
      assert.deepEqual(
        actions.filter((action) => action.includes('*')),
        [],
        task,
      );
    }
  });
});

describe('shared task roles', () => {
  it('runs the tasks of a group under one role that holds each task’s own policy', () => {
    const { stack } = fixtureStack({
      sharedTaskRoles: { Reporting: ['lookup-cluster', 'write-report'] },
    });
    const lookupCluster = stack.taskFunctions.get('lookup-cluster');
    const writeReport = stack.taskFunctions.get('write-report');
    assert.ok(lookupCluster && writeReport);

    assert.equal(lookupCluster.taskRole, writeReport.taskRole);
    assert.equal(lookupCluster.taskRole.node.id, 'ReportingRole');
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Role: { 'Fn::GetAtt': [logicalIdOf(lookupCluster.taskRole), 'Arn'] } },
      2,
    );
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^LookupClusterFunctionTaskPolicy'),
      Roles: [{ Ref: logicalIdOf(lookupCluster.taskRole) }],
    });
  });

  it('gives every task outside a group a role of its own', () => {
    const { stack } = fixtureStack({ sharedTaskRoles: {} });

    assert.notEqual(
      stack.taskFunctions.get('lookup-cluster')?.taskRole,
      stack.taskFunctions.get('write-report')?.taskRole,
    );
  });

  it('refuses a task in two groups', () => {
    assert.throws(
      () =>
        fixtureStack({
          sharedTaskRoles: { First: ['lookup-cluster'], Second: ['lookup-cluster'] },
        }),
      (error: unknown) =>
        error instanceof Error &&
        /lookup-cluster is in several shared roles \(First, Second\)/.test(error.message),
    );
  });
});
