import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { createAutomationApp } from '../../infra/automation-app.ts';
import {
  ASSOCIATIONS_TASKS,
  associationsFixtureStack,
  FIXTURE_ASSOCIATIONS_DIR,
  FIXTURE_FUNCTIONS_DIR,
  logicalIdOf,
  propertiesOf,
  type ResolvedStatement,
  taskPolicyStatements,
  testAppProps,
  variablesOfTask,
} from './fixture-stack.ts';

const ACCOUNT_ROLES = 'arn:aws:iam::111122223333:role/*';
const MANAGED_ROLES = 'arn:aws:iam::111122223333:role/eks-pia/*';
const ANY_CLUSTER = 'arn:aws:eks:eu-west-1:111122223333:cluster/*';
const ANY_ASSOCIATION = 'arn:aws:eks:eu-west-1:111122223333:podidentityassociation/*/*';
const BOUNDARY = 'arn:aws:iam::111122223333:policy/eks-pia-boundary';

const IAM_WRITES = [
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:TagRole',
  'iam:UpdateAssumeRolePolicy',
];
const IAM_READS = [
  'iam:GetRole',
  'iam:ListAttachedRolePolicies',
  'iam:ListRolePolicies',
  'iam:GetRolePolicy',
];

function statementsWith(statements: ResolvedStatement[], action: string): ResolvedStatement[] {
  return statements.filter((statement) => statement.Action.includes(action));
}

function onlyStatementWith(statements: ResolvedStatement[], action: string): ResolvedStatement {
  const found = statementsWith(statements, action);
  assert.equal(found.length, 1, `one statement grants ${action}`);
  const [statement] = found;
  assert.ok(statement);
  return statement;
}

describe('the associations workflow’s tasks, with the real task permissions', () => {
  const { stack } = associationsFixtureStack();
  const template = Template.fromStack(stack);
  const bucketId = logicalIdOf(stack.configBucket.bucket);
  const bucketObjects = (prefix: string) => `<${bucketId}.Arn>/${prefix}*`;

  const environmentOf = (task: string) => variablesOfTask(stack, task, template);

  it('creates one function per task of the workflow', () => {
    assert.deepEqual([...stack.taskFunctions.keys()].sort(), [...ASSOCIATIONS_TASKS].sort());
  });

  it('tells every task that uses the run store which bucket it is, and no other task', () => {
    const withBucket = ASSOCIATIONS_TASKS.filter(
      (task) => environmentOf(task).CONFIG_BUCKET !== undefined,
    );

    assert.deepEqual(withBucket.sort(), [
      'apply-association-batch',
      'get-associations',
      'load-association-request',
      'plan-associations',
      'prepare-association-batch',
      'read-association-config',
      'report-associations',
    ]);
    for (const task of withBucket) {
      assert.deepEqual(environmentOf(task).CONFIG_BUCKET, { Ref: bucketId }, task);
    }
  });

  it('gives the event bus name to report-associations only, defaulting to the default bus', () => {
    for (const task of ASSOCIATIONS_TASKS) {
      assert.equal(
        environmentOf(task).EVENT_BUS_NAME,
        task === 'report-associations' ? 'default' : undefined,
        task,
      );
    }
  });

  it('gives the stack’s permissions boundary to the tasks that check guardrails, and to no other', () => {
    for (const task of ASSOCIATIONS_TASKS) {
      const variable = environmentOf(task).GUARDRAILS;
      if (task === 'load-association-request' || task === 'prepare-association-batch') {
        assert.match(JSON.stringify(variable), /enforcedPermissionsBoundaryArn/, task);
        assert.match(JSON.stringify(variable), /PermissionsBoundary/, task);
      } else {
        assert.equal(variable, undefined, task);
      }
    }
  });

  it('fills the ConfigBucketName placeholder with the config bucket when no substitution overrides it', () => {
    const associations = stack.workflows.get('associations');
    assert.ok(associations);
    const { DefinitionSubstitutions: substitutions } = propertiesOf<{
      DefinitionSubstitutions: Record<string, unknown>;
    }>(template, 'AWS::StepFunctions::StateMachine', logicalIdOf(associations.stateMachine));

    assert.deepEqual(substitutions.ConfigBucketName, { Ref: bucketId });
  });

  it('outputs the config bucket name and the associations state machine ARN', () => {
    const associations = stack.workflows.get('associations');
    assert.ok(associations);

    template.hasOutput('ConfigBucketName', { Value: { Ref: bucketId } });
    template.hasOutput('AssociationsStateMachineArn', {
      Value: { Ref: logicalIdOf(associations.stateMachine) },
    });
  });

  it('grants no task a wildcard action, and no task anything on STS', () => {
    for (const task of ASSOCIATIONS_TASKS) {
      const actions = taskPolicyStatements(stack, task).flatMap((statement) => statement.Action);
      assert.deepEqual(
        actions.filter((action) => action.includes('*') || action.startsWith('sts:')),
        [],
        task,
      );
    }
  });

  describe('read-association-config', () => {
    const statements = taskPolicyStatements(stack, 'read-association-config');

    it('reads configs (any version) under the trigger prefixes, fleet/, configs/ and desired/, and of runs/ only the configs bootstrap and fleet runs hand over', () => {
      const [configs, handedOver, ...others] = statementsWith(statements, 's3:GetObject');

      assert.deepEqual(configs?.Action, ['s3:GetObject', 's3:GetObjectVersion']);
      assert.deepEqual(configs?.Resource, [
        bucketObjects('create/'),
        bucketObjects('update/'),
        bucketObjects('delete/'),
        bucketObjects('apply/'),
        bucketObjects('fleet/'),
        bucketObjects('configs/'),
        bucketObjects('desired/'),
      ]);
      assert.deepEqual(handedOver, {
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [`<${bucketId}.Arn>/runs/*/cluster-config.json`],
      });
      assert.deepEqual(others, []);
    });

    it('writes only run documents, and calls nothing but S3', () => {
      assert.deepEqual(onlyStatementWith(statements, 's3:PutObject').Resource, [
        bucketObjects('runs/'),
      ]);
      assert.deepEqual(
        statements
          .flatMap((statement) => statement.Action)
          .filter((action) => !action.startsWith('s3:')),
        [],
      );
    });
  });

  describe('load-association-request', () => {
    const statements = taskPolicyStatements(stack, 'load-association-request');

    it('reads and writes run documents only, never a config as uploaded', () => {
      assert.deepEqual(onlyStatementWith(statements, 's3:GetObject').Resource, [
        bucketObjects('runs/'),
      ]);
      assert.deepEqual(onlyStatementWith(statements, 's3:PutObject').Resource, [
        bucketObjects('runs/'),
      ]);
      assert.deepEqual(statementsWith(statements, 's3:GetObjectVersion'), []);
    });

    it('reads the roles a config names (their opt-in tag), not its own (its account comes from its function ARN), writing none', () => {
      assert.deepEqual(
        statementsWith(statements, 'iam:GetRole').map((statement) => statement.Resource),
        [[ACCOUNT_ROLES]],
      );
      assert.deepEqual(
        statements
          .flatMap((statement) => statement.Action)
          .filter((action) => IAM_WRITES.includes(action)),
        [],
      );
    });
  });

  describe('get-associations and plan-associations', () => {
    for (const task of ['get-associations', 'plan-associations']) {
      it(`${task} lists associations per cluster and describes them by association ARN`, () => {
        const statements = taskPolicyStatements(stack, task);

        assert.deepEqual(
          onlyStatementWith(statements, 'eks:ListPodIdentityAssociations').Resource,
          [ANY_CLUSTER],
        );
        assert.deepEqual(
          onlyStatementWith(statements, 'eks:DescribePodIdentityAssociation').Resource,
          [ANY_ASSOCIATION],
        );
        assert.deepEqual(statementsWith(statements, 'iam:CreateRole'), []);
      });
    }

    it('get-associations reads the request and writes only run documents (the pages of a long listing)', () => {
      const statements = taskPolicyStatements(stack, 'get-associations');

      assert.deepEqual(onlyStatementWith(statements, 's3:GetObject').Resource, [
        bucketObjects('runs/'),
      ]);
      assert.deepEqual(onlyStatementWith(statements, 's3:PutObject').Resource, [
        bucketObjects('runs/'),
      ]);
    });

    it('plan-associations only reads roles (to check every update entry first, and to tell a dry run which new role names are taken)', () => {
      const actions = taskPolicyStatements(stack, 'plan-associations').flatMap(
        (statement) => statement.Action,
      );

      assert.deepEqual(actions.filter((action) => action.startsWith('iam:')).sort(), [
        'iam:GetRole',
        'iam:GetRolePolicy',
        'iam:ListAttachedRolePolicies',
        'iam:ListRolePolicies',
        'iam:ListRoles',
      ]);
    });
  });

  describe('ensure-kubernetes-access', () => {
    const statements = taskPolicyStatements(stack, 'ensure-kubernetes-access');
    const fn = stack.taskFunctions.get('ensure-kubernetes-access');
    assert.ok(fn);
    const roleId = logicalIdOf(fn.taskRole);
    const ownEntries = `arn:aws:eks:eu-west-1:111122223333:access-entry/*/role/111122223333/<${roleId}>/*`;

    it('creates access entries only for its own role', () => {
      assert.deepEqual(onlyStatementWith(statements, 'eks:CreateAccessEntry'), {
        Effect: 'Allow',
        Action: ['eks:CreateAccessEntry'],
        Resource: [ANY_CLUSTER],
        Condition: { StringEquals: { 'eks:principalArn': { 'Fn::GetAtt': [roleId, 'Arn'] } } },
      });
    });

    it('reads only its own role’s access entries, in any cluster', () => {
      assert.deepEqual(onlyStatementWith(statements, 'eks:DescribeAccessEntry'), {
        Effect: 'Allow',
        Action: ['eks:DescribeAccessEntry', 'eks:ListAssociatedAccessPolicies'],
        Resource: [ownEntries],
      });
    });

    it('associates only the edit and cluster-admin access policies, to its own entries', () => {
      assert.deepEqual(onlyStatementWith(statements, 'eks:AssociateAccessPolicy'), {
        Effect: 'Allow',
        Action: ['eks:AssociateAccessPolicy'],
        Resource: [ownEntries],
        Condition: {
          StringEquals: {
            'eks:policyArn': [
              'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy',
              'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
            ],
          },
        },
      });
    });

    it('looks up no role but its own', () => {
      assert.deepEqual(onlyStatementWith(statements, 'iam:GetRole').Resource, [`<${roleId}.Arn>`]);
    });
  });

  describe('prepare-association-batch', () => {
    const statements = taskPolicyStatements(stack, 'prepare-association-batch');

    it("deletes only eksctl's role stacks, and their roles only through CloudFormation", () => {
      const stackStatement = onlyStatementWith(statements, 'cloudformation:DeleteStack');
      assert.deepEqual(stackStatement.Action, [
        'cloudformation:DescribeStacks',
        'cloudformation:UpdateTerminationProtection',
        'cloudformation:DeleteStack',
      ]);
      const resources = JSON.stringify(stackStatement.Resource);
      assert.match(resources, /stack\/eksctl-\*-addon-iamserviceaccount-\*\/\*/);
      assert.match(resources, /stack\/eksctl-\*-podidentityrole-\*\/\*/);
      const viaStack = statements.find(
        (statement) =>
          statement.Action.includes('iam:DeleteRole') &&
          JSON.stringify(statement.Condition ?? {}).includes('aws:CalledVia'),
      );
      assert.deepEqual(viaStack?.Condition, {
        'ForAnyValue:StringEquals': { 'aws:CalledVia': 'cloudformation.amazonaws.com' },
      });
    });

    it('reads run documents and writes none', () => {
      assert.deepEqual(statementsWith(statements, 's3:PutObject'), []);
      assert.ok(statementsWith(statements, 's3:GetObject').length > 0);
    });

    it('changes no role but through CloudFormation', () => {
      const writes = statements.filter(
        (statement) =>
          statement.Action.some((action) => IAM_WRITES.includes(action)) &&
          !JSON.stringify(statement.Condition ?? {}).includes('aws:CalledVia'),
      );
      assert.deepEqual(writes, []);
    });
  });

  describe('apply-association-batch', () => {
    const statements = taskPolicyStatements(stack, 'apply-association-batch');

    it('writes roles only under the service’s IAM path /eks-pia/', () => {
      // Role deletion through CloudFormation (eksctl's stacks) is the statement below.
      const writes = statements.filter(
        (statement) =>
          statement.Action.some((action) => IAM_WRITES.includes(action)) &&
          !JSON.stringify(statement.Condition ?? {}).includes('aws:CalledVia'),
      );

      assert.deepEqual(
        writes.flatMap((statement) => statement.Action).sort(),
        [...IAM_WRITES].sort(),
      );
      for (const statement of writes) {
        assert.deepEqual(statement.Resource, [MANAGED_ROLES]);
      }
      assert.deepEqual(statementsWith(statements, 'iam:DeleteRolePermissionsBoundary'), []);
    });

    it('creates roles and gives them permissions only with the stack’s boundary, never a denied policy', () => {
      for (const action of [
        'iam:CreateRole',
        'iam:PutRolePermissionsBoundary',
        'iam:PutRolePolicy',
      ]) {
        const condition = JSON.stringify(onlyStatementWith(statements, action).Condition);
        assert.match(
          condition,
          /"StringEquals":\{"iam:PermissionsBoundary":\{"Ref":"PermissionsBoundary/,
          action,
        );
      }
      const attach = JSON.stringify(
        onlyStatementWith(statements, 'iam:AttachRolePolicy').Condition,
      );
      assert.match(attach, /iam:PermissionsBoundary/);
      assert.match(attach, /"ArnNotLike":\{"iam:PolicyARN":\[[^\]]*AdministratorAccess/);
    });

    it('neither reads guardrails nor touches CloudFormation: prepare-association-batch does', () => {
      assert.deepEqual(statementsWith(statements, 'cloudformation:DescribeStacks'), []);
      assert.deepEqual(statementsWith(statements, 'iam:GetPolicyVersion'), []);
    });

    it('reads any role of the account, since configs name existing roles by ARN', () => {
      assert.deepEqual(onlyStatementWith(statements, 'iam:GetRolePolicy'), {
        Effect: 'Allow',
        Action: IAM_READS,
        Resource: [ACCOUNT_ROLES],
      });
    });

    it('passes to EKS Pod Identity only, its own roles and roles tagged eks-pia/assignable=true', () => {
      assert.deepEqual(statementsWith(statements, 'iam:PassRole'), [
        {
          Effect: 'Allow',
          Action: ['iam:PassRole'],
          Resource: [MANAGED_ROLES],
          Condition: { StringEquals: { 'iam:PassedToService': 'pods.eks.amazonaws.com' } },
        },
        {
          Effect: 'Allow',
          Action: ['iam:PassRole'],
          Resource: [ACCOUNT_ROLES],
          Condition: {
            StringEquals: { 'iam:PassedToService': 'pods.eks.amazonaws.com' },
            StringLike: { 'iam:ResourceTag/eks-pia/assignable': 'true' },
          },
        },
      ]);
    });

    it('creates associations on clusters and changes, tags and deletes them by association ARN', () => {
      assert.deepEqual(onlyStatementWith(statements, 'eks:CreatePodIdentityAssociation'), {
        Effect: 'Allow',
        Action: ['eks:CreatePodIdentityAssociation', 'eks:DescribeCluster'],
        Resource: [ANY_CLUSTER],
      });
      assert.deepEqual(onlyStatementWith(statements, 'eks:TagResource'), {
        Effect: 'Allow',
        Action: [
          'eks:UpdatePodIdentityAssociation',
          'eks:DeletePodIdentityAssociation',
          'eks:TagResource',
        ],
        Resource: [ANY_ASSOCIATION],
      });
    });

    it('reads and writes run documents only', () => {
      assert.deepEqual(onlyStatementWith(statements, 's3:PutObject'), {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: [bucketObjects('runs/')],
      });
      assert.deepEqual(onlyStatementWith(statements, 's3:ListBucket').Resource, [
        `<${bucketId}.Arn>`,
      ]);
    });
  });

  describe('report-associations', () => {
    it('puts only the run-completed event, on the default bus', () => {
      assert.deepEqual(
        onlyStatementWith(taskPolicyStatements(stack, 'report-associations'), 'events:PutEvents'),
        {
          Effect: 'Allow',
          Action: ['events:PutEvents'],
          Resource: ['arn:aws:events:eu-west-1:111122223333:event-bus/default'],
          Condition: {
            StringEquals: {
              'events:source': 'eks-pod-identity-automation',
              'events:detail-type': 'Pod Identity Automation Run Completed',
            },
          },
        },
      );
    });

    it('is the only principal in the stack allowed events:PutEvents', () => {
      const grants = Object.entries(template.findResources('AWS::IAM::Policy')).filter(
        ([, policy]) => JSON.stringify(policy).includes('events:PutEvents'),
      );
      const report = stack.taskFunctions.get('report-associations');
      assert.ok(report);

      assert.deepEqual(
        grants.map(([id]) => id),
        [logicalIdOf(report.node.findChild('TaskPolicy'))],
      );
    });
  });
});

describe('deployment settings of the associations tasks', () => {
  it('puts the run-completed events on the bus it is given', () => {
    const { stack } = associationsFixtureStack({ eventBusName: 'platform-events' });
    const report = stack.taskFunctions.get('report-associations');
    assert.ok(report);

    assert.deepEqual(
      onlyStatementWith(taskPolicyStatements(stack, 'report-associations'), 'events:PutEvents')
        .Resource,
      ['arn:aws:events:eu-west-1:111122223333:event-bus/platform-events'],
    );
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Task report-associations of the EKS Pod Identity workflows',
      Environment: { Variables: { EVENT_BUS_NAME: 'platform-events' } },
    });
  });

  it('lets apply-association-batch create roles, or set their boundary, only with the enforced boundary', () => {
    const { stack } = associationsFixtureStack({
      guardrails: { enforcedPermissionsBoundaryArn: BOUNDARY },
    });
    const statements = taskPolicyStatements(stack, 'apply-association-batch');

    assert.deepEqual(onlyStatementWith(statements, 'iam:CreateRole'), {
      Effect: 'Allow',
      Action: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'],
      Resource: [MANAGED_ROLES],
      Condition: { StringEquals: { 'iam:PermissionsBoundary': BOUNDARY } },
    });
    const unconditioned = statements.filter(
      (statement) =>
        statement.Condition === undefined &&
        statement.Action.some((action) => IAM_WRITES.includes(action)),
    );
    assert.deepEqual(
      unconditioned.flatMap((statement) => statement.Resource),
      [MANAGED_ROLES],
    );
  });

  it('lets apply-association-batch pass only the allowed roles and the roles it creates', () => {
    const { stack } = associationsFixtureStack({
      guardrails: {
        allowedRoleArnPatterns: [
          'arn:aws:iam::111122223333:role/apps/*',
          'arn:aws:iam::111122223333:role/payments-worker',
        ],
      },
    });

    assert.deepEqual(
      statementsWith(taskPolicyStatements(stack, 'apply-association-batch'), 'iam:PassRole').map(
        (statement) => statement.Resource,
      ),
      [
        [
          MANAGED_ROLES,
          'arn:aws:iam::111122223333:role/apps/*',
          'arn:aws:iam::111122223333:role/payments-worker',
        ],
        [ACCOUNT_ROLES],
      ],
    );
  });
});

describe('the associations fixture checked by cdk-nag AwsSolutions', () => {
  for (const [name, guardrails] of [
    ['without guardrails', undefined],
    [
      'with every guardrail set',
      {
        deniedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        deniedActions: ['*', 'iam:*', 'sts:AssumeRole on *'],
        enforcedPermissionsBoundaryArn: BOUNDARY,
        allowedRoleArnPatterns: ['arn:aws:iam::111122223333:role/apps/*'],
        allowedNamespaces: ['team-*'],
      },
    ],
  ] as const) {
    it(`synthesises with every finding acknowledged, ${name}`, () => {
      const appProps = testAppProps();
      const { app } = createAutomationApp({
        appProps,
        stackProps: {
          functionsDir: FIXTURE_FUNCTIONS_DIR,
          stateMachinesDir: FIXTURE_ASSOCIATIONS_DIR,
          guardrails,
        },
      });

      let error: unknown;
      try {
        app.synth();
      } catch (caught) {
        error = caught;
      }
      const report = readFileSync(
        path.join(appProps.outdir ?? '', 'validation-report.json'),
        'utf8',
      );
      assert.equal(error, undefined, report);
    });
  }
});
