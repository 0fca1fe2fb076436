import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  paginateDescribeStacks,
  paginateListStackResources,
  paginateListStacks,
} from '@aws-sdk/client-cloudformation';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { Simulator } from '../../../local/simulator/server.ts';
import {
  cloudFormationService,
  stackPageSize,
} from '../../../local/simulator/services/cloudformation.ts';
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
