import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  paginateDescribeStacks,
  paginateListStackResources,
  paginateListStacks,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { Simulator } from '../../../local/simulator/server.ts';
import {
  cloudFormationService,
  stackPageSize,
} from '../../../local/simulator/services/cloudformation.ts';
import { eksctlPodIdentityRoleStack } from '../../../local/simulator/services/cloudformation-template.ts';
import { parseWorld, type WorldInput } from '../../../local/simulator/world.ts';

const account = '111122223333';
const region = 'us-west-2';
const trust = { Version: '2012-10-17', Statement: [] };

/** Enough stacks and roles that every list spans three of CloudFormation's fixed-size pages. */
const manyCount = stackPageSize * 2 + 17;
const serviceAccounts = Array.from(
  { length: manyCount },
  (_, index) => `sa-${String(index).padStart(3, '0')}`,
);
const deletedStacks = [
  'eksctl-demo-addon-iamserviceaccount-default-old-1',
  'eksctl-demo-addon-iamserviceaccount-default-old-2',
];

function stackName(serviceAccount: string): string {
  return `eksctl-demo-addon-iamserviceaccount-default-${serviceAccount}`;
}

const world: WorldInput = {
  account,
  region,
  caller: `arn:aws:iam::${account}:role/automation`,
  roles: [
    ...serviceAccounts.map((sa) => ({ name: `role-${sa}`, assumeRolePolicyDocument: trust })),
    { name: 'shared-1', assumeRolePolicyDocument: trust },
  ],
  stacks: [
    ...serviceAccounts.map((sa) => ({
      name: stackName(sa),
      roles: [`role-${sa}`],
      tags: {
        'alpha.eksctl.io/iamserviceaccount-name': `default/${sa}`,
        'alpha.eksctl.io/cluster-name': 'demo',
      },
      outputs: { Role1: `arn:aws:iam::${account}:role/role-${sa}` },
    })),
    ...deletedStacks.map((name) => ({ name, status: 'DELETE_COMPLETE' })),
    { name: 'many-roles', roles: serviceAccounts.map((sa) => `role-${sa}`) },
    { name: 'eksctl-demo-cluster', status: 'UPDATE_COMPLETE' },
  ],
};

describe('simulated CloudFormation (read side) through @aws-sdk/client-cloudformation', () => {
  let sim: Simulator;
  let cfn: CloudFormationClient;
  before(async () => {
    sim = await new Simulator(parseWorld(JSON.stringify(world)), [cloudFormationService]).start();
    cfn = new CloudFormationClient({
      endpoint: sim.url,
      region,
      credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
      retryStrategy: new ConfiguredRetryStrategy(4, (attempt) => 5 * attempt),
    });
  });
  after(async () => {
    cfn.destroy();
    await sim.close();
  });

  it('pages ListStacks with NextToken across three pages, listing deleted stacks too', async () => {
    const pages = [];
    for await (const page of paginateListStacks({ client: cfn }, {})) pages.push(page);
    assert.equal(pages.length, 3);
    const names = pages
      .flatMap((page) => page.StackSummaries ?? [])
      .map((stack) => stack.StackName);
    assert.equal(new Set(names).size, names.length, 'no stack listed twice');
    assert.deepEqual([...names].sort(), world.stacks?.map((stack) => stack.name).sort());
    const deleted = pages
      .flatMap((page) => page.StackSummaries ?? [])
      .find((stack) => stack.StackName === deletedStacks[0]);
    assert.equal(deleted?.StackStatus, 'DELETE_COMPLETE');
    assert.ok(deleted?.DeletionTime instanceof Date);
  });

  it('filters ListStacks by StackStatusFilter', async () => {
    const summaries = [];
    for await (const page of paginateListStacks(
      { client: cfn },
      { StackStatusFilter: ['UPDATE_COMPLETE', 'DELETE_COMPLETE'] },
    )) {
      summaries.push(...(page.StackSummaries ?? []));
    }
    assert.deepEqual(
      summaries.map((stack) => stack.StackName).sort(),
      [...deletedStacks, 'eksctl-demo-cluster'].sort(),
    );
  });

  it('pages DescribeStacks across three pages, leaving deleted stacks out', async () => {
    const pages = [];
    for await (const page of paginateDescribeStacks({ client: cfn }, {})) pages.push(page);
    assert.equal(pages.length, 3);
    const names = pages.flatMap((page) => page.Stacks ?? []).map((stack) => stack.StackName);
    assert.equal(new Set(names).size, names.length);
    assert.equal(names.length, manyCount + 2);
    for (const name of deletedStacks) assert.ok(!names.includes(name));
  });

  it('describes one stack with its id, status, capabilities, outputs and tags, by name or by id', async () => {
    const name = stackName('sa-007');
    const [stack] = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks ?? [];
    assert.ok(stack);
    assert.match(
      stack.StackId ?? '',
      new RegExp(
        `^arn:aws:cloudformation:${region}:${account}:stack/${name}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
      ),
    );
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE');
    assert.ok(stack.CreationTime instanceof Date);
    assert.deepEqual(stack.Capabilities, ['CAPABILITY_IAM']);
    assert.deepEqual(stack.Outputs, [
      { OutputKey: 'Role1', OutputValue: `arn:aws:iam::${account}:role/role-sa-007` },
    ]);
    assert.deepEqual(stack.Tags, [
      { Key: 'alpha.eksctl.io/iamserviceaccount-name', Value: 'default/sa-007' },
      { Key: 'alpha.eksctl.io/cluster-name', Value: 'demo' },
    ]);
    const byId = (await cfn.send(new DescribeStacksCommand({ StackName: stack.StackId }))).Stacks;
    assert.equal(byId?.[0]?.StackName, name);
  });

  it('answers ValidationError (400) for a stack that does not exist, including a deleted one by name', async () => {
    for (const name of ['nope', deletedStacks[0] ?? '']) {
      await assert.rejects(
        cfn.send(new DescribeStacksCommand({ StackName: name })),
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(error.name, 'ValidationError');
          assert.equal(error.message, `Stack with id ${name} does not exist`);
          assert.equal(error.$metadata?.httpStatusCode, 400);
          return true;
        },
      );
    }
    await assert.rejects(cfn.send(new ListStackResourcesCommand({ StackName: 'nope' })), {
      name: 'ValidationError',
    });
  });

  it("lists an eksctl stack's role as an AWS::IAM::Role resource named by the role", async () => {
    const listed = await cfn.send(
      new ListStackResourcesCommand({ StackName: stackName('sa-003') }),
    );
    assert.equal(listed.NextToken, undefined);
    assert.equal(listed.StackResourceSummaries?.length, 1);
    const [resource] = listed.StackResourceSummaries ?? [];
    assert.equal(resource?.LogicalResourceId, 'Role1');
    assert.equal(resource?.PhysicalResourceId, 'role-sa-003');
    assert.equal(resource?.ResourceType, 'AWS::IAM::Role');
    assert.equal(resource?.ResourceStatus, 'CREATE_COMPLETE');
    assert.ok(resource?.LastUpdatedTimestamp instanceof Date);
  });

  it('pages ListStackResources across three pages in logical id order', async () => {
    const pages = [];
    for await (const page of paginateListStackResources(
      { client: cfn },
      { StackName: 'many-roles' },
    ))
      pages.push(page);
    assert.equal(pages.length, 3);
    const resources = pages.flatMap((page) => page.StackResourceSummaries ?? []);
    assert.deepEqual(
      resources.map((resource) => resource.LogicalResourceId),
      serviceAccounts.map((_, index) => `Role${index + 1}`),
    );
    assert.deepEqual(
      resources.map((resource) => resource.PhysicalResourceId),
      serviceAccounts.map((sa) => `role-${sa}`),
    );
  });

  it('logs every call as a read', () => {
    assert.ok(sim.calls.length > 0);
    assert.ok(sim.calls.every((call) => call.service === 'cloudformation' && !call.mutating));
    assert.deepEqual([...new Set(sim.calls.map((call) => call.operation))].sort(), [
      'DescribeStacks',
      'ListStackResources',
      'ListStacks',
    ]);
  });
});

describe('simulated CloudFormation faults', () => {
  it('surfaces an injected fault as the named SDK exception', async () => {
    const faulty = parseWorld(
      JSON.stringify({
        ...world,
        behaviour: {
          faults: [{ operation: 'cloudformation:DescribeStacks', nth: 1, error: 'AccessDenied' }],
        },
      }),
    );
    const sim = await new Simulator(faulty, [cloudFormationService]).start();
    const cfn = new CloudFormationClient({
      endpoint: sim.url,
      region,
      credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
    });
    try {
      await assert.rejects(
        cfn.send(new DescribeStacksCommand({ StackName: 'eksctl-demo-cluster' })),
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(error.name, 'AccessDenied');
          assert.equal(error.$metadata?.httpStatusCode, 403);
          return true;
        },
      );
    } finally {
      cfn.destroy();
      await sim.close();
    }
  });
});

describe('simulated CloudFormation (change sets and deletion) through @aws-sdk/client-cloudformation', () => {
  const irsaStack = 'eksctl-demo-addon-iamserviceaccount-default-app';
  const roleStack = 'eksctl-demo-podidentityrole-default-web';
  const podsStatement = {
    Effect: 'Allow',
    Principal: { Service: 'pods.eks.amazonaws.com' },
    Action: ['sts:AssumeRole', 'sts:TagSession'],
  };
  const ec2Trust = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  };
  const small: WorldInput = {
    account,
    region,
    caller: `arn:aws:iam::${account}:role/automation`,
    roles: [
      {
        name: 'app-role',
        assumeRolePolicyDocument: ec2Trust,
        attachedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      },
      { name: 'web-role', assumeRolePolicyDocument: ec2Trust },
    ],
    stacks: [
      {
        name: irsaStack,
        roles: ['app-role'],
        tags: { 'alpha.eksctl.io/iamserviceaccount-name': 'default/app' },
      },
      // As eksctl's `create podidentityassociation` leaves it (termination protection on).
      eksctlPodIdentityRoleStack({
        account,
        clusterName: 'demo',
        namespace: 'default',
        serviceAccount: 'web',
        roleName: 'web-role',
      }),
      { name: 'busy', status: 'UPDATE_IN_PROGRESS' },
    ],
    behaviour: { stackDescribesUntilSettled: 2 },
  };

  async function started(input: WorldInput) {
    const sim = await new Simulator(parseWorld(JSON.stringify(input)), [
      cloudFormationService,
    ]).start();
    const cfn = new CloudFormationClient({
      endpoint: sim.url,
      region,
      credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
      retryStrategy: new ConfiguredRetryStrategy(1, () => 1),
    });
    return {
      sim,
      cfn,
      close: async () => {
        cfn.destroy();
        await sim.close();
      },
    };
  }

  async function template(cfn: CloudFormationClient, name: string) {
    const { TemplateBody } = await cfn.send(new GetTemplateCommand({ StackName: name }));
    return JSON.parse(TemplateBody ?? '{}');
  }

  it("derives eksctl's template for a world stack without one and dumps it", async () => {
    const { sim, cfn, close } = await started(small);
    try {
      const body = await template(cfn, irsaStack);
      assert.equal(
        body.Description,
        'IAM role for serviceaccount "default/app" [created and managed by eksctl]',
      );
      assert.deepEqual(body.Resources.Role1.Properties, {
        AssumeRolePolicyDocument: ec2Trust,
        ManagedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      });
      assert.deepEqual(body.Outputs.Role1, { Value: { 'Fn::GetAtt': 'Role1.Arn' } });
      assert.deepEqual(sim.state.dump().stacks[0]?.template, body);
    } finally {
      await close();
    }
  });

  it('updates through a change set: settles over describes, then the role and the template agree', async () => {
    const { sim, cfn, close } = await started(small);
    try {
      const body = await template(cfn, irsaStack);
      const trust = { ...ec2Trust, Statement: [...ec2Trust.Statement, podsStatement] };
      body.Resources.Role1.Properties.AssumeRolePolicyDocument = trust;
      await assert.rejects(
        cfn.send(
          new CreateChangeSetCommand({
            StackName: irsaStack,
            ChangeSetName: 'c1',
            TemplateBody: JSON.stringify(body),
          }),
        ),
        /Requires capabilities : \[CAPABILITY_IAM\]/,
      );
      const { Id } = await cfn.send(
        new CreateChangeSetCommand({
          StackName: irsaStack,
          ChangeSetName: 'c1',
          TemplateBody: JSON.stringify(body),
          Capabilities: ['CAPABILITY_IAM'],
          Tags: [{ Key: 'alpha.eksctl.io/podidentityassociation-name', Value: 'default/app' }],
        }),
      );
      await assert.rejects(
        cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: Id })),
        /cannot be executed in its current status/,
      );
      const statuses = [];
      for (let i = 0; i < 2; i += 1) {
        statuses.push((await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: Id }))).Status);
      }
      assert.deepEqual(statuses, ['CREATE_PENDING', 'CREATE_COMPLETE']);
      await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: Id }));
      const stackStatuses = [];
      for (let i = 0; i < 3; i += 1) {
        const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: irsaStack }));
        stackStatuses.push(Stacks?.[0]?.StackStatus);
      }
      assert.deepEqual(stackStatuses, [
        'UPDATE_IN_PROGRESS',
        'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
        'UPDATE_COMPLETE',
      ]);
      const state = sim.state.dump();
      assert.deepEqual(
        state.roles.find((role) => role.name === 'app-role')?.assumeRolePolicyDocument,
        trust,
      );
      assert.deepEqual(state.roles.find((role) => role.name === 'app-role')?.tags, {
        'alpha.eksctl.io/podidentityassociation-name': 'default/app',
      });
      assert.deepEqual(await template(cfn, irsaStack), body);

      // The same template again: CloudFormation's empty change set.
      const again = await cfn.send(
        new CreateChangeSetCommand({
          StackName: irsaStack,
          ChangeSetName: 'c2',
          TemplateBody: JSON.stringify(body),
          Capabilities: ['CAPABILITY_IAM'],
        }),
      );
      await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: again.Id }));
      const empty = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: again.Id }));
      assert.equal(empty.Status, 'FAILED');
      assert.match(empty.StatusReason ?? '', /didn't contain changes/);
    } finally {
      await close();
    }
  });

  it('rolls back a failing update with the reason, leaving role and template as they were', async () => {
    const { sim, cfn, close } = await started({
      ...small,
      behaviour: {
        stackDescribesUntilSettled: 1,
        stackUpdateFailures: { [irsaStack]: 'Access denied' },
      },
    });
    try {
      const body = await template(cfn, irsaStack);
      const before = structuredClone(body);
      body.Resources.Role1.Properties.AssumeRolePolicyDocument.Statement.push(podsStatement);
      const { Id } = await cfn.send(
        new CreateChangeSetCommand({
          StackName: irsaStack,
          ChangeSetName: 'c1',
          TemplateBody: JSON.stringify(body),
          Capabilities: ['CAPABILITY_IAM'],
        }),
      );
      await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: Id }));
      await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: Id }));
      await cfn.send(new DescribeStacksCommand({ StackName: irsaStack }));
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: irsaStack }));
      assert.equal(Stacks?.[0]?.StackStatus, 'UPDATE_ROLLBACK_COMPLETE');
      assert.match(
        Stacks?.[0]?.StackStatusReason ?? '',
        /failed to update: \[Role1\]\. Access denied/,
      );
      assert.deepEqual(await template(cfn, irsaStack), before);
      assert.deepEqual(sim.state.dump().roles[0]?.assumeRolePolicyDocument, ec2Trust);
    } finally {
      await close();
    }
  });

  it('rolls back an update IAM would refuse: a policy that does not exist, more policies or tags than a role may have', async () => {
    const { sim, cfn, close } = await started({
      ...small,
      quotas: { attachedPoliciesPerRole: 2 },
      behaviour: { stackDescribesUntilSettled: 1 },
    });
    const update = async (
      change: (body: Awaited<ReturnType<typeof template>>) => void,
      tags = 0,
    ) => {
      const body = await template(cfn, irsaStack);
      change(body);
      const { Id } = await cfn.send(
        new CreateChangeSetCommand({
          StackName: irsaStack,
          ChangeSetName: `c${sim.calls.length}`,
          TemplateBody: JSON.stringify(body),
          Capabilities: ['CAPABILITY_IAM'],
          Tags: Array.from({ length: tags }, (_, index) => ({ Key: `k${index}`, Value: 'v' })),
        }),
      );
      await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: Id }));
      await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: Id }));
      await cfn.send(new DescribeStacksCommand({ StackName: irsaStack }));
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: irsaStack }));
      return Stacks?.[0];
    };
    const policies = (arns: unknown[]) => (body: Awaited<ReturnType<typeof template>>) => {
      body.Resources.Role1.Properties.ManagedPolicyArns = arns;
    };
    try {
      // eksctl's templates spell AWS managed policies with the partition as a pseudo parameter.
      const subbed = await update(
        policies([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AmazonS3ReadOnlyAccess' }]),
      );
      assert.equal(subbed?.StackStatus, 'UPDATE_COMPLETE', subbed?.StackStatusReason);
      const attached = () =>
        sim.state.dump().roles.find((candidate) => candidate.name === 'app-role')?.attachedPolicies;
      assert.deepEqual(attached(), ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']);
      const missingSubbed = await update(
        policies([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/NoSuchPolicy' }]),
      );
      assert.equal(missingSubbed?.StackStatus, 'UPDATE_ROLLBACK_COMPLETE');
      const missing = await update(policies(['arn:aws:iam::aws:policy/NoSuchPolicy']));
      assert.equal(missing?.StackStatus, 'UPDATE_ROLLBACK_COMPLETE');
      assert.match(
        missing?.StackStatusReason ?? '',
        /Policy arn:aws:iam::aws:policy\/NoSuchPolicy does not exist or is not attachable\." \(Service: Iam, Status Code: 404\)/,
      );
      const tooMany = await update(
        policies([
          'arn:aws:iam::aws:policy/ReadOnlyAccess',
          'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
          'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess',
        ]),
      );
      assert.match(tooMany?.StackStatusReason ?? '', /Cannot exceed quota for PoliciesPerRole: 2/);
      const tagged = await update(() => undefined, 51);
      assert.match(tagged?.StackStatusReason ?? '', /Cannot exceed quota for TagsPerRole: 50/);
      // Every refused update left the role as the last one that went through made it.
      assert.deepEqual(attached(), ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']);
      const role = sim.state.dump().roles.find((candidate) => candidate.name === 'app-role');
      // The stack's own tag, from the update that went through; none of the 51.
      assert.deepEqual(role?.tags, { 'alpha.eksctl.io/iamserviceaccount-name': 'default/app' });
    } finally {
      await close();
    }
  });

  it("describes a pod identity role stack with the tags and output eksctl gives it, its association's among them", async () => {
    const { cfn, close } = await started(small);
    try {
      const [stack] =
        (await cfn.send(new DescribeStacksCommand({ StackName: roleStack }))).Stacks ?? [];
      assert.equal(stack?.StackName, roleStack);
      assert.deepEqual(Object.fromEntries((stack?.Tags ?? []).map((tag) => [tag.Key, tag.Value])), {
        'alpha.eksctl.io/cluster-name': 'demo',
        'eksctl.cluster.k8s.io/v1alpha1/cluster-name': 'demo',
        'alpha.eksctl.io/eksctl-version': '0.210.0',
        'alpha.eksctl.io/podidentityassociation-name': 'default/web',
      });
      assert.deepEqual(stack?.Outputs, [
        { OutputKey: 'Role1', OutputValue: `arn:aws:iam::${account}:role/web-role` },
      ]);
      assert.equal(stack?.EnableTerminationProtection, true);
    } finally {
      await close();
    }
  });

  it('refuses changes to a stack with an operation running, and deletes only without termination protection', async () => {
    const { sim, cfn, close } = await started(small);
    try {
      await assert.rejects(
        cfn.send(
          new CreateChangeSetCommand({
            StackName: 'busy',
            ChangeSetName: 'c1',
            UsePreviousTemplate: true,
          }),
        ),
        /is in UPDATE_IN_PROGRESS state and can not be updated/,
      );
      await assert.rejects(
        cfn.send(new DeleteStackCommand({ StackName: roleStack })),
        /cannot be deleted while TerminationProtection is enabled/,
      );
      const { StackId } = await cfn.send(
        new UpdateTerminationProtectionCommand({
          StackName: roleStack,
          EnableTerminationProtection: false,
        }),
      );
      await cfn.send(new DeleteStackCommand({ StackName: roleStack }));
      const statuses = [];
      for (let i = 0; i < 2; i += 1) {
        const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: StackId }));
        statuses.push(Stacks?.[0]?.StackStatus);
      }
      assert.deepEqual(statuses, ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
      assert.equal(
        sim.state.dump().roles.some((role) => role.name === 'web-role'),
        false,
      );
    } finally {
      await close();
    }
  });
});
