/**
 * The stack's own IAM, evaluated by an independent IAM policy evaluator
 * (@cloud-copilot/iam-simulate): what a compromised task, a tampered run document or a bucket
 * writer would try is denied by IAM itself, not only by the tasks' checks.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import type { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { permissionsBoundaryDocument } from '../../functions/core/associations/escalation.ts';
import { createAutomationApp } from '../../infra/automation-app.ts';
import type { PodIdentityAutomationStack } from '../../infra/stacks/pod-identity-automation-stack.ts';
import { AUTOMATION_TAG_KEY } from '../../infra/stacks/pod-identity-automation-stack.ts';
import {
  logicalIdOf,
  resolveIntrinsic,
  taskPolicyStatements,
  testAppProps,
} from './fixture-stack.ts';

const ACCOUNT = '111122223333';
const ROLE = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_POLICY = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const BUCKET_ARN = 'arn:aws:s3:::eks-pia-configs';

let stack: PodIdentityAutomationStack;
let boundaryArn: string;
let bucketPlaceholder: string;
let stackBoundary: unknown;
const ACCESS_LOGS_ARN = 'arn:aws:s3:::eks-pia-configs-access-logs';

type Outcome = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

function resolveDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveDeep);
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) {
      return resolveIntrinsic(value);
    }
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, resolveDeep(inner)]),
    );
  }
  return value;
}

/** The task's identity policy as the template has it, intrinsics resolved to comparable ARNs. */
function taskPolicy(task: string): unknown {
  const statements = taskPolicyStatements(stack, task).map((statement) => ({
    ...statement,
    Resource: statement.Resource.map((resource) => resource.replace(bucketPlaceholder, BUCKET_ARN)),
    ...(statement.Condition === undefined ? {} : { Condition: resolveDeep(statement.Condition) }),
  }));
  return { Version: '2012-10-17', Statement: statements };
}

async function evaluate(
  simulation: Omit<Simulation, 'serviceControlPolicies' | 'resourceControlPolicies'>,
): Promise<Outcome> {
  const result = await runSimulation(
    { serviceControlPolicies: [], resourceControlPolicies: [], ...simulation },
    {},
  );
  if (result.resultType === 'error') assert.fail(JSON.stringify(result.errors));
  return result.overallResult as Outcome;
}

function asTask(
  task: string,
  action: string,
  resource: string,
  contextVariables: Record<string, string> = {},
): Promise<Outcome> {
  return evaluate({
    identityPolicies: [{ name: task, policy: taskPolicy(task) }],
    request: {
      principal: ROLE(`${task}-role`),
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables,
    },
  });
}

/**
 * What a role the service creates may do when its own policies allow everything: only what the
 * boundary (the stack's, unless another document is given) lets through.
 */
function asCreatedRole(
  action: string,
  resource: string,
  contextVariables: Record<string, string> = {},
  boundary: unknown = stackBoundary,
): Promise<Outcome> {
  return evaluate({
    identityPolicies: [
      {
        name: 'AdministratorAccess',
        policy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        },
      },
    ],
    permissionBoundaryPolicies: [{ name: 'boundary', policy: boundary }],
    request: {
      principal: ROLE('eks-pia/demo-web'),
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables,
    },
  });
}

describe('the stack’s IAM, evaluated', () => {
  before(() => {
    const { stack: built } = createAutomationApp({ appProps: testAppProps() });
    stack = built;
    boundaryArn = resolveIntrinsic(stack.resolve(stack.rolePermissionsBoundaryArn));
    bucketPlaceholder = `<${logicalIdOf(stack.configBucket.bucket)}.Arn>`;
    const boundary = stack.node.findChild('PermissionsBoundary') as ManagedPolicy;
    const accessLogsPlaceholder = `<${logicalIdOf(stack.configBucket.accessLogsBucket)}.Arn>`;
    stackBoundary = JSON.parse(
      JSON.stringify(resolveDeep(stack.resolve(boundary.document.toJSON())))
        .replaceAll(bucketPlaceholder, BUCKET_ARN)
        .replaceAll(accessLogsPlaceholder, ACCESS_LOGS_ARN),
    ) as unknown;
  });

  it('lets apply-association-batch create and edit roles only under the boundary, never attach an admin policy or drop the boundary', async () => {
    const managed = ROLE('eks-pia/demo-web');
    const withBoundary = { 'iam:PermissionsBoundary': boundaryArn };
    assert.equal(
      await asTask('apply-association-batch', 'iam:CreateRole', managed),
      'ImplicitlyDenied',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:CreateRole', managed, {
        'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/other`,
      }),
      'ImplicitlyDenied',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:CreateRole', managed, withBoundary),
      'Allowed',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:PutRolePolicy', managed),
      'ImplicitlyDenied',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:PutRolePolicy', managed, withBoundary),
      'Allowed',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:AttachRolePolicy', managed, {
        ...withBoundary,
        'iam:PolicyARN': ADMIN_POLICY,
      }),
      'ImplicitlyDenied',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:AttachRolePolicy', managed, {
        ...withBoundary,
        'iam:PolicyARN': READ_POLICY,
      }),
      'Allowed',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:AttachRolePolicy', managed, {
        'iam:PolicyARN': READ_POLICY,
      }),
      'ImplicitlyDenied',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:DeleteRolePermissionsBoundary', managed),
      'ImplicitlyDenied',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:PutRolePolicy', ROLE('admin'), withBoundary),
      'ImplicitlyDenied',
    );
  });

  it('lets apply-association-batch pass to EKS Pod Identity only its own roles and roles opted in by tag', async () => {
    const toPods = { 'iam:PassedToService': 'pods.eks.amazonaws.com' };
    assert.equal(
      await asTask('apply-association-batch', 'iam:PassRole', ROLE('admin'), toPods),
      'ImplicitlyDenied',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:PassRole', ROLE('admin'), {
        ...toPods,
        'iam:ResourceTag/eks-pia/assignable': 'true',
      }),
      'Allowed',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:PassRole', ROLE('eks-pia/web'), toPods),
      'Allowed',
    );
    assert.equal(
      await asTask('apply-association-batch', 'iam:PassRole', ROLE('eks-pia/web'), {
        'iam:PassedToService': 'ec2.amazonaws.com',
      }),
      'ImplicitlyDenied',
    );
  });

  it('keeps the migration tasks off roles that are neither eksctl IRSA roles nor opted in', async () => {
    for (const task of ['add-pod-identity-trust', 'remove-oidc-trust']) {
      assert.equal(
        await asTask(task, 'iam:UpdateAssumeRolePolicy', ROLE('admin')),
        'ImplicitlyDenied',
        task,
      );
      assert.equal(
        await asTask(task, 'iam:UpdateAssumeRolePolicy', ROLE('irsa/s3-reader'), {
          'iam:ResourceTag/alpha.eksctl.io/iamserviceaccount-name': 'default/s3-reader',
        }),
        'Allowed',
        task,
      );
    }
    const toPods = { 'iam:PassedToService': 'pods.eks.amazonaws.com' };
    assert.equal(
      await asTask('create-migration-associations', 'iam:PassRole', ROLE('admin'), toPods),
      'ImplicitlyDenied',
    );
    assert.equal(
      await asTask('create-migration-associations', 'iam:PassRole', ROLE('admin'), {
        ...toPods,
        'iam:ResourceTag/eks-pia/assignable': 'true',
      }),
      'Allowed',
    );
  });

  it('lets the tasks that check configs read customer managed policies, never change one', async () => {
    const policy = `arn:aws:iam::${ACCOUNT}:policy/team/admin-in-disguise`;
    for (const task of ['load-association-request', 'prepare-association-batch']) {
      for (const action of ['iam:GetPolicy', 'iam:GetPolicyVersion']) {
        assert.equal(await asTask(task, action, policy), 'Allowed', `${task} ${action}`);
      }
      for (const action of [
        'iam:CreatePolicyVersion',
        'iam:SetDefaultPolicyVersion',
        'iam:DeletePolicyVersion',
        'iam:CreatePolicy',
      ]) {
        assert.equal(await asTask(task, action, policy), 'ImplicitlyDenied', `${task} ${action}`);
      }
    }
  });

  it('caps a created role by the boundary even if it were given AdministratorAccess', async () => {
    for (const [action, resource] of [
      ['iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/backdoor`],
      ['iam:AttachRolePolicy', ROLE('eks-pia/demo-web')],
      ['iam:PutRolePolicy', ROLE('admin')],
      ['iam:UpdateAssumeRolePolicy', ROLE('admin')],
      ['iam:DeleteRolePermissionsBoundary', ROLE('eks-pia/demo-web')],
      ['iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/eks-pia/boundary`],
      ['organizations:LeaveOrganization', '*'],
      ['account:PutAlternateContact', `arn:aws:account::${ACCOUNT}:account`],
    ] as const) {
      assert.notEqual(await asCreatedRole(action, resource), 'Allowed', action);
    }
    assert.equal(await asCreatedRole('s3:GetObject', 'arn:aws:s3:::data/x'), 'Allowed');
    assert.equal(await asCreatedRole('iam:GetRole', ROLE('x')), 'Allowed');
    assert.equal(await asCreatedRole('sts:TagSession', ROLE('target')), 'Allowed');
  });

  it('lets a created role pass or assume only the roles a config may associate', async () => {
    const optedIn = { 'iam:ResourceTag/eks-pia/assignable': 'true' };
    for (const action of ['iam:PassRole', 'sts:AssumeRole']) {
      assert.equal(await asCreatedRole(action, ROLE('OrgAdmin')), 'ImplicitlyDenied', action);
      assert.equal(
        await asCreatedRole(action, ROLE('OrgAdmin'), {
          'iam:ResourceTag/eks-pia/assignable': 'no',
        }),
        'ImplicitlyDenied',
        action,
      );
      assert.equal(await asCreatedRole(action, ROLE('eks-pia/other-team')), 'ImplicitlyDenied');
      assert.equal(await asCreatedRole(action, ROLE('karpenter-node'), optedIn), 'Allowed', action);
    }
    const patterned = permissionsBoundaryDocument({
      assignableRoleTag: { key: 'team', value: '*' },
      allowedRoleArnPatterns: [`arn:aws:iam::${ACCOUNT}:role/apps/*`],
    });
    assert.equal(
      await asCreatedRole('sts:AssumeRole', ROLE('apps/reader'), {}, patterned),
      'Allowed',
    );
    assert.equal(
      await asCreatedRole(
        'iam:PassRole',
        ROLE('nodes'),
        { 'iam:ResourceTag/team': 'x' },
        patterned,
      ),
      'Allowed',
    );
    assert.equal(
      await asCreatedRole('iam:PassRole', ROLE('admin'), {}, patterned),
      'ImplicitlyDenied',
    );
  });

  it('keeps a created role off the automation itself: its functions, state machines, alarms, queues, roles and buckets', async () => {
    const ofTheStack = { [`aws:ResourceTag/${AUTOMATION_TAG_KEY}`]: stack.stackName };
    const taskFunction = `arn:aws:lambda:us-west-2:${ACCOUNT}:function:eks-pia-apply`;
    const stateMachine = `arn:aws:states:us-west-2:${ACCOUNT}:stateMachine:associations`;
    for (const [action, resource] of [
      ['lambda:UpdateFunctionCode', taskFunction],
      ['lambda:InvokeFunction', taskFunction],
      ['states:StartExecution', stateMachine],
      ['scheduler:DeleteSchedule', `arn:aws:scheduler:us-west-2:${ACCOUNT}:schedule/drift/check`],
      ['cloudwatch:DeleteAlarms', `arn:aws:cloudwatch:us-west-2:${ACCOUNT}:alarm:failed-items`],
      ['sqs:PurgeQueue', `arn:aws:sqs:us-west-2:${ACCOUNT}:dead-letters`],
    ] as const) {
      assert.equal(await asCreatedRole(action, resource, ofTheStack), 'ExplicitlyDenied', action);
      assert.equal(await asCreatedRole(action, resource), 'Allowed', `${action}, not the stack's`);
    }
    for (const [action, resource] of [
      ['s3:PutObject', `${BUCKET_ARN}/apply/demo.yaml`],
      ['s3:GetObject', `${BUCKET_ARN}/desired/demo/config.json`],
      ['s3:PutBucketPolicy', BUCKET_ARN],
      ['s3:DeleteObject', `${ACCESS_LOGS_ARN}/logs/2026-12-07`],
    ] as const) {
      assert.equal(await asCreatedRole(action, resource), 'ExplicitlyDenied', action);
    }
    assert.equal(await asCreatedRole('s3:PutObject', 'arn:aws:s3:::team-data/x'), 'Allowed');
    // A task role, even one a deployment's patterns would let pods pass, given to a pod's own
    // function would run it with the task's rights.
    const taskRole = {
      [`iam:ResourceTag/${AUTOMATION_TAG_KEY}`]: stack.stackName,
      'iam:ResourceTag/eks-pia/assignable': 'true',
    };
    for (const action of ['iam:PassRole', 'sts:AssumeRole']) {
      assert.equal(
        await asCreatedRole(action, ROLE('apply-association-batch'), taskRole),
        'ExplicitlyDenied',
        action,
      );
    }
  });

  it('tags every resource of the stack the boundary keeps pods off, the drift schedule by its group', () => {
    const template = Template.fromStack(stack).toJSON() as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    const guarded = [
      'AWS::Lambda::Function',
      'AWS::StepFunctions::StateMachine',
      'AWS::Events::Rule',
      'AWS::Scheduler::ScheduleGroup',
      'AWS::SNS::Topic',
      'AWS::Logs::LogGroup',
      'AWS::CloudWatch::Alarm',
      'AWS::SQS::Queue',
      'AWS::IAM::Role',
    ];
    const resources = Object.entries(template.Resources);
    for (const type of guarded) {
      const ofType = resources.filter(([, resource]) => resource.Type === type);
      assert.ok(ofType.length > 0, `the stack has a ${type}`);
      for (const [id, resource] of ofType) {
        const tags = resource.Properties?.Tags;
        const keys = Array.isArray(tags)
          ? tags.map((tag: { Key?: string }) => tag.Key)
          : Object.keys((tags ?? {}) as object);
        assert.ok(keys.includes(AUTOMATION_TAG_KEY), `${type} ${id} carries ${AUTOMATION_TAG_KEY}`);
      }
    }
    const schedules = resources.filter(
      ([, resource]) => resource.Type === 'AWS::Scheduler::Schedule',
    );
    assert.equal(schedules.length, 1);
    assert.ok(schedules[0]?.[1].Properties?.GroupName, 'the drift schedule is in the stack group');
  });

  it('lets only the task roles write run documents and desired states, whatever S3 rights others hold', async () => {
    const bucket = stack.resolve(stack.configBucket.bucket.policy?.document) as unknown;
    // Role ARNs stand as <LogicalId.Arn> once resolved; IAM compares real ARNs.
    const asArn = (text: string) =>
      text.replaceAll(bucketPlaceholder, BUCKET_ARN).replace(/<(\w+)\.Arn>/g, (_, id) => ROLE(id));
    const resourcePolicy = JSON.parse(asArn(JSON.stringify(resolveDeep(bucket)))) as unknown;
    const loadAssociationRequest = stack.taskFunctions.get('load-association-request');
    assert.ok(loadAssociationRequest);
    const loadAssociationRequestRole = asArn(
      resolveIntrinsic(stack.resolve(loadAssociationRequest.taskRole.roleArn)),
    );
    const write = (principal: string, identity: unknown, key = 'runs/run-1/request.json') =>
      evaluate({
        identityPolicies: [{ name: 'identity', policy: identity }],
        resourcePolicy,
        request: {
          principal,
          action: 's3:PutObject',
          resource: { resource: `${BUCKET_ARN}/${key}`, accountId: ACCOUNT },
          contextVariables: { 'aws:SecureTransport': 'true', 'aws:PrincipalArn': principal },
        },
      });
    const s3Admin = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
    };
    assert.equal(await write(ROLE('config-writer'), s3Admin), 'ExplicitlyDenied');
    assert.equal(await write(loadAssociationRequestRole, s3Admin), 'Allowed');
    const desired = 'desired/demo/config.json';
    assert.equal(await write(ROLE('config-writer'), s3Admin, desired), 'ExplicitlyDenied');
    assert.equal(await write(loadAssociationRequestRole, s3Admin, desired), 'Allowed');
    assert.equal(await write(ROLE('config-writer'), s3Admin, 'apply/demo.yaml'), 'Allowed');
  });
});
