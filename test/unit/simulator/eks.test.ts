import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  CreateAddonCommand,
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAddonCommand,
  DescribeClusterCommand,
  DescribePodIdentityAssociationCommand,
  DescribeUpdateCommand,
  type EKSClient,
  ListAddonsCommand,
  ListPodIdentityAssociationsCommand,
  UpdateAddonCommand,
} from '@aws-sdk/client-eks';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { parseWorld } from '../../../local/simulator/world.ts';
import { expectAwsError, startEks } from './eks-helpers.ts';

const ACCOUNT = '111122223333';
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

function worldText(behaviour = '') {
  return `
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:
  - name: demo
    version: "1.31"
roles:
  - {name: app, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}}
  - {name: cni, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}}
${behaviour}
`;
}

function createAssociation(eks: EKSClient, serviceAccount: string) {
  return eks.send(
    new CreatePodIdentityAssociationCommand({
      clusterName: 'demo',
      namespace: 'default',
      serviceAccount,
      roleArn: role('app'),
    }),
  );
}

describe('the simulated EKS service', () => {
  it('answers an operation it does not implement with a clear UnknownOperationException', async () => {
    const { sim, eks } = await startEks(parseWorld(worldText()));
    try {
      await expectAwsError(
        eks.send(new DescribeUpdateCommand({ name: 'demo', updateId: 'u-1' })),
        'UnknownOperationException',
        404,
        /does not implement GET \/clusters\/demo\/updates\/u-1/,
      );
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('fails exactly the nth call of an operation with an injected fault and changes nothing on it', async () => {
    const world = parseWorld(
      worldText(
        'behaviour: {faults: [{operation: "eks:CreatePodIdentityAssociation", nth: 2, error: ServerException}]}',
      ),
    );
    const { sim, eks } = await startEks(world, { retryStrategy: undefined, maxAttempts: 1 });
    try {
      await createAssociation(eks, 'first');
      await expectAwsError(createAssociation(eks, 'second'), 'ServerException', 500);
      await createAssociation(eks, 'third');
      const created = sim
        .dump()
        .clusters[0]?.podIdentityAssociations.map((association) => association.serviceAccount);
      assert.deepEqual(created, ['first', 'third']);
      assert.deepEqual(
        sim.calls.map((call) => call.status),
        [200, 500, 200],
      );
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('lets the SDK retry absorb an injected server fault', async () => {
    const world = parseWorld(
      worldText(
        'behaviour: {faults: [{operation: "eks:CreatePodIdentityAssociation", nth: 1, error: ServerException}]}',
      ),
    );
    const { sim, eks } = await startEks(world);
    try {
      const result = await createAssociation(eks, 'retried');
      assert.equal(result.$metadata.attempts, 2);
      assert.deepEqual(
        sim.calls.map((call) => call.status),
        [500, 200],
      );
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('throttles past the rate limit with ThrottlingException 429', async () => {
    const world = parseWorld(worldText('behaviour: {rateLimits: {"eks:DescribeCluster": 2}}'));
    const { sim, eks } = await startEks(world, { retryStrategy: undefined, maxAttempts: 1 });
    try {
      await eks.send(new DescribeClusterCommand({ name: 'demo' }));
      await eks.send(new DescribeClusterCommand({ name: 'demo' }));
      await expectAwsError(
        eks.send(new DescribeClusterCommand({ name: 'demo' })),
        'ThrottlingException',
        429,
        /Rate exceeded/,
      );
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('lets the SDK retry absorb throttling once the token bucket refills', async () => {
    const world = parseWorld(worldText('behaviour: {rateLimits: {"eks:DescribeCluster": 2}}'));
    const { sim, eks } = await startEks(world, {
      retryStrategy: new ConfiguredRetryStrategy(8, 200),
    });
    try {
      const attempts: number[] = [];
      for (let call = 0; call < 4; call += 1) {
        const result = await eks.send(new DescribeClusterCommand({ name: 'demo' }));
        assert.equal(result.cluster?.name, 'demo');
        attempts.push(result.$metadata.attempts ?? 0);
      }
      assert.ok(
        attempts.some((count) => count > 1),
        `some calls were retried: ${attempts.join(',')}`,
      );
      const statuses = sim.calls.map((call) => call.status);
      assert.ok(statuses.includes(429));
      assert.equal(statuses.filter((status) => status === 200).length, 4);
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('logs Create/Update/Delete/Associate calls as mutating and Describe/List calls as not', async () => {
    const { sim, eks } = await startEks(parseWorld(worldText()));
    try {
      const { association } = await createAssociation(eks, 'logged');
      await eks.send(new DescribeClusterCommand({ name: 'demo' }));
      await eks.send(new ListPodIdentityAssociationsCommand({ clusterName: 'demo' }));
      await eks.send(new CreateAddonCommand({ clusterName: 'demo', addonName: 'coredns' }));
      await eks.send(new ListAddonsCommand({ clusterName: 'demo' }));
      await eks.send(new DescribeAddonCommand({ clusterName: 'demo', addonName: 'coredns' }));
      await eks.send(new DescribeAddonCommand({ clusterName: 'demo', addonName: 'coredns' }));
      await eks.send(new DescribeAddonCommand({ clusterName: 'demo', addonName: 'coredns' }));
      await eks.send(
        new UpdateAddonCommand({
          clusterName: 'demo',
          addonName: 'coredns',
          configurationValues: '{}',
        }),
      );
      await eks.send(
        new CreateAccessEntryCommand({ clusterName: 'demo', principalArn: role('app') }),
      );
      await eks.send(
        new AssociateAccessPolicyCommand({
          clusterName: 'demo',
          principalArn: role('app'),
          policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy',
          accessScope: { type: 'cluster' },
        }),
      );
      await eks.send(
        new DeletePodIdentityAssociationCommand({
          clusterName: 'demo',
          associationId: association?.associationId,
        }),
      );
      await expectAwsError(createAssociation(eks, ''), 'InvalidParameterException', 400);

      for (const call of sim.calls) {
        assert.equal(call.service, 'eks');
        assert.equal(
          call.mutating,
          !/^(Describe|List)/.test(call.operation),
          `${call.operation} mutating flag`,
        );
      }
      assert.deepEqual(
        sim.mutatingCalls().map((call) => call.operation),
        [
          'CreatePodIdentityAssociation',
          'CreateAddon',
          'UpdateAddon',
          'CreateAccessEntry',
          'AssociateAccessPolicy',
          'DeletePodIdentityAssociation',
        ],
      );
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('dumps created associations, add-ons and access entries in world shape that parseWorld accepts and reloads', async () => {
    const { sim, eks } = await startEks(parseWorld(worldText()));
    let associationId = '';
    let addonArn = '';
    let externalId = '';
    try {
      const { association } = await eks.send(
        new CreatePodIdentityAssociationCommand({
          clusterName: 'demo',
          namespace: 'default',
          serviceAccount: 's3-reader',
          roleArn: role('app'),
          targetRoleArn: 'arn:aws:iam::444455556666:role/target',
          disableSessionTags: true,
          policy: '{"Version":"2012-10-17","Statement":[]}',
          tags: { team: 'platform' },
        }),
      );
      associationId = association?.associationId ?? '';
      externalId = association?.externalId ?? '';
      const { addon } = await eks.send(
        new CreateAddonCommand({
          clusterName: 'demo',
          addonName: 'vpc-cni',
          podIdentityAssociations: [{ serviceAccount: 'aws-node', roleArn: role('cni') }],
        }),
      );
      addonArn = addon?.addonArn ?? '';
      await eks.send(
        new CreateAccessEntryCommand({ clusterName: 'demo', principalArn: role('app') }),
      );
      await eks.send(
        new AssociateAccessPolicyCommand({
          clusterName: 'demo',
          principalArn: role('app'),
          policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy',
          accessScope: { type: 'namespace', namespaces: ['default'] },
        }),
      );
    } finally {
      eks.destroy();
      await sim.close();
    }

    const dump = sim.dump();
    const cluster = dump.clusters[0];
    assert.deepEqual(cluster?.podIdentityAssociations, [
      {
        namespace: 'default',
        serviceAccount: 's3-reader',
        roleArn: role('app'),
        associationId,
        targetRoleArn: 'arn:aws:iam::444455556666:role/target',
        disableSessionTags: true,
        policy: '{"Version":"2012-10-17","Statement":[]}',
        tags: { team: 'platform' },
      },
      {
        namespace: 'kube-system',
        serviceAccount: 'aws-node',
        roleArn: role('cni'),
        associationId: cluster?.podIdentityAssociations[1]?.associationId,
        ownerArn: addonArn,
        tags: {},
      },
    ]);
    assert.deepEqual(cluster?.addons, [
      {
        name: 'vpc-cni',
        version: 'v1.19.2-eksbuild.1',
        status: 'CREATING',
        tags: {},
        podIdentityAssociations: [{ serviceAccount: 'aws-node', roleArn: role('cni') }],
      },
    ]);
    assert.deepEqual(cluster?.accessEntries, [
      {
        principalArn: role('app'),
        type: 'STANDARD',
        kubernetesGroups: [],
        policies: [
          {
            policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy',
            scope: { namespaces: ['default'] },
          },
        ],
        tags: {},
      },
    ]);

    const reloaded = await startEks(parseWorld(JSON.stringify(dump), 'dump'));
    try {
      const { association } = await reloaded.eks.send(
        new DescribePodIdentityAssociationCommand({ clusterName: 'demo', associationId }),
      );
      assert.equal(association?.roleArn, role('app'));
      assert.equal(
        association?.externalId,
        externalId,
        'the external ID survives a dump and reload',
      );
      const { addon } = await reloaded.eks.send(
        new DescribeAddonCommand({ clusterName: 'demo', addonName: 'vpc-cni' }),
      );
      assert.equal(addon?.addonArn, addonArn, 'owner ARNs in the dump still name the add-on');
      assert.equal(addon?.podIdentityAssociations?.length, 1);
    } finally {
      reloaded.eks.destroy();
      await reloaded.sim.close();
    }
  });
});
