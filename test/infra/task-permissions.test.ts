import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readTaskDescriptor } from '../../functions/core/task-descriptor.ts';
import { handlerEntry, listTasks } from '../../functions/core/workflow-files.ts';
import { TaskFunction } from '../../infra/constructs/task-function.ts';
import { GrantSettingsError, UnknownGrantError } from '../../infra/errors.ts';
import { GRANTS } from '../../infra/grants.ts';
import { FUNCTIONS_DIR } from '../../infra/paths.ts';
import {
  type GrantTable,
  grantsNamed,
  standaloneGrantContext,
  taskPermissionsFor,
} from '../../infra/task-permissions.ts';
import { FIXTURE_FUNCTIONS_DIR, fixtureStack, logicalIdOf, testAppProps } from './fixture-stack.ts';

describe('taskPermissionsFor', () => {
  const table: GrantTable = {
    'describe-clusters': {
      summary: 'clusters',
      build: () => ({
        statements: [
          new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: ['*'] }),
        ],
        acknowledgements: [{ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'first' }],
        environment: { FIRST: '1' },
      }),
    },
    'list-clusters': {
      summary: 'clusters',
      build: () => ({
        statements: [new iam.PolicyStatement({ actions: ['eks:ListClusters'], resources: ['*'] })],
        acknowledgements: [{ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'second' }],
        environment: { SECOND: '2' },
      }),
    },
  };

  it('builds the named grants in order and merges them, a finding acknowledged twice keeping the later reason', () => {
    const permissions = taskPermissionsFor(
      table,
      'lookup-cluster',
      ['describe-clusters', 'list-clusters'],
      standaloneGrantContext(new Stack()),
    );

    assert.deepEqual(
      permissions.statements.map((statement) => statement.actions),
      [['eks:DescribeCluster'], ['eks:ListClusters']],
    );
    assert.deepEqual(permissions.acknowledgements, [
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'second' },
    ]);
    assert.deepEqual(permissions.environment, { FIRST: '1', SECOND: '2' });
  });

  it('refuses a grant the table does not define, naming the task, the grant and the known ones', () => {
    assert.throws(
      () => grantsNamed(table, 'lookup-cluster', ['describe-clusters', 'delete-everything']),
      (error: unknown) =>
        error instanceof UnknownGrantError &&
        error.name === 'UnknownGrantError' &&
        error.message ===
          'Task lookup-cluster lists grant "delete-everything" in its descriptor, but no grant ' +
            'has that name: define it in infra/grants.ts or use one of describe-clusters, list-clusters',
    );
  });

  it('does not mistake inherited object keys for grants', () => {
    assert.throws(() => grantsNamed(table, 'lookup-cluster', ['constructor']), UnknownGrantError);
  });
});

describe('task permissions in the stack', () => {
  it('fails the synth when a task’s descriptor names a grant the stack does not know', () => {
    assert.throws(
      () => fixtureStack({ grants: {} }),
      (error: unknown) =>
        error instanceof UnknownGrantError &&
        /Task lookup-cluster lists grant "describe-clusters"/.test(error.message),
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

describe('GRANTS', () => {
  const guardrailVariants = [
    {},
    {
      enforcedPermissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/eks-pia-boundary',
      allowedRoleArnPatterns: ['arn:aws:iam::111122223333:role/apps/*'],
    },
  ];
  const descriptors = [...listTasks(FUNCTIONS_DIR).keys()].map(
    (task) => [task, readTaskDescriptor(FUNCTIONS_DIR, task)] as const,
  );

  for (const [task, { grants }] of descriptors) {
    it(`${task}: its grants pass cdk-nag, with a reason for each acknowledged wildcard, in any environment and with any guardrails`, () => {
      for (const env of [undefined, { account: '111122223333', region: 'eu-west-1' }]) {
        for (const guardrails of guardrailVariants) {
          const app = new App(testAppProps());
          const stack = new Stack(app, 'Permissions', { env });
          const fn = new TaskFunction(stack, 'Task', {
            entry: handlerEntry(FIXTURE_FUNCTIONS_DIR, 'write-report'),
            timeout: Duration.seconds(30),
          });
          const permissions = taskPermissionsFor(
            GRANTS,
            task,
            grants,
            standaloneGrantContext(stack, { guardrails, role: fn.taskRole }),
          );
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

  it('grants no action with a wildcard', () => {
    const context = standaloneGrantContext(new Stack());
    for (const [name, grant] of Object.entries(GRANTS)) {
      const actions = grant.build(context).statements.flatMap((statement) => statement.actions);
      assert.deepEqual(
        actions.filter((action) => action.includes('*')),
        [],
        name,
      );
    }
  });

  it('refuses to build write-managed-roles without a permissions boundary to hold roles to', () => {
    const context = standaloneGrantContext(new Stack());

    assert.throws(
      () =>
        GRANTS['write-managed-roles']?.build({
          ...context,
          guardrails: { ...context.guardrails, enforcedPermissionsBoundaryArn: undefined },
        }),
      (error: unknown) =>
        error instanceof GrantSettingsError &&
        /only with a permissions boundary/.test(error.message),
    );
  });

  it('defines only grants some task lists', () => {
    const listed = new Set(descriptors.flatMap(([, { grants }]) => grants));

    assert.deepEqual(
      Object.keys(GRANTS).filter((name) => !listed.has(name)),
      [],
    );
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
