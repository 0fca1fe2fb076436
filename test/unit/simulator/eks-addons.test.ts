import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AddonInfo,
  CreateAddonCommand,
  DeleteAddonCommand,
  DescribeAddonCommand,
  DescribeAddonConfigurationCommand,
  DescribeAddonVersionsCommand,
  DescribePodIdentityAssociationCommand,
  type EKSClient,
  ListPodIdentityAssociationsCommand,
  paginateDescribeAddonVersions,
  paginateListAddons,
  UpdateAddonCommand,
} from '@aws-sdk/client-eks';
import type { Simulator } from '../../../local/simulator/server.ts';
import { expectAwsError, startEks } from './eks-helpers.ts';

const ACCOUNT = '111122223333';
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const PODS_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}`;

function world(extra = '') {
  return `
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:
  - name: demo
    version: "1.31"
    addons:
      - {name: kube-proxy, version: v1.31.3-eksbuild.2}
roles:
  - {name: cni, assumeRolePolicyDocument: ${PODS_TRUST}}
  - {name: cni-2, assumeRolePolicyDocument: ${PODS_TRUST}}
  - {name: ebs, assumeRolePolicyDocument: ${PODS_TRUST}}
  - {name: no-pod-trust, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}}
${extra}
`;
}

async function statusesOver(eks: EKSClient, addonName: string, describes: number) {
  const statuses: (string | undefined)[] = [];
  for (let call = 0; call < describes; call += 1) {
    statuses.push(
      (await eks.send(new DescribeAddonCommand({ clusterName: 'demo', addonName }))).addon?.status,
    );
  }
  return statuses;
}

describe('simulated EKS add-ons through the real SDK', () => {
  let sim: Simulator;
  let eks: EKSClient;

  before(async () => {
    ({ sim, eks } = await startEks(world('behaviour: {addonDescribesUntilSettled: 2}')));
  });

  after(async () => {
    eks.destroy();
    await sim.close();
  });

  it('creates an add-on CREATING at the default version that turns ACTIVE after the configured describes', async () => {
    const { addon } = await eks.send(
      new CreateAddonCommand({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' }),
    );
    assert.equal(addon?.status, 'CREATING');
    assert.equal(addon?.addonVersion, 'v1.3.4-eksbuild.1');
    assert.match(
      addon?.addonArn ?? '',
      /^arn:aws:eks:us-west-2:111122223333:addon\/demo\/eks-pod-identity-agent\/[0-9a-f-]{36}$/,
    );
    assert.ok(addon?.createdAt instanceof Date);
    assert.deepEqual(await statusesOver(eks, 'eks-pod-identity-agent', 4), [
      'CREATING',
      'CREATING',
      'ACTIVE',
      'ACTIVE',
    ]);
    assert.equal(
      sim.dump().clusters[0]?.addons.find((entry) => entry.name === 'eks-pod-identity-agent')
        ?.status,
      'ACTIVE',
    );
  });

  it('refuses to create an add-on that already exists with 409', async () => {
    await expectAwsError(
      eks.send(new CreateAddonCommand({ clusterName: 'demo', addonName: 'kube-proxy' })),
      'ResourceInUseException',
      409,
      /Addon already exists/,
    );
  });

  it('rejects an add-on or version outside the catalogue', async () => {
    await expectAwsError(
      eks.send(new CreateAddonCommand({ clusterName: 'demo', addonName: 'cert-manager' })),
      'InvalidParameterException',
      400,
      /cert-manager/,
    );
    await expectAwsError(
      eks.send(
        new CreateAddonCommand({
          clusterName: 'demo',
          addonName: 'coredns',
          addonVersion: 'v0.0.1-eksbuild.1',
        }),
      ),
      'InvalidParameterException',
      400,
      /v0\.0\.1-eksbuild\.1/,
    );
    await expectAwsError(
      eks.send(new DescribeAddonCommand({ clusterName: 'demo', addonName: 'coredns' })),
      'ResourceNotFoundException',
      404,
      /^No addon: coredns found in cluster: demo$/,
    );
  });

  it('creates pod identity associations owned by the add-on and lists their ARNs on the add-on', async () => {
    const { addon } = await eks.send(
      new CreateAddonCommand({
        clusterName: 'demo',
        addonName: 'vpc-cni',
        addonVersion: 'v1.18.0-eksbuild.1',
        podIdentityAssociations: [{ serviceAccount: 'aws-node', roleArn: role('cni') }],
      }),
    );
    assert.equal(addon?.podIdentityAssociations?.length, 1);
    const { associations } = await eks.send(
      new ListPodIdentityAssociationsCommand({
        clusterName: 'demo',
        namespace: 'kube-system',
        serviceAccount: 'aws-node',
      }),
    );
    assert.equal(associations?.[0]?.ownerArn, addon?.addonArn);
    assert.equal(associations?.[0]?.associationArn, addon?.podIdentityAssociations?.[0]);
    const { association } = await eks.send(
      new DescribePodIdentityAssociationCommand({
        clusterName: 'demo',
        associationId: associations?.[0]?.associationId,
      }),
    );
    assert.equal(association?.roleArn, role('cni'));
  });

  it('rejects add-on pod identity for a service account the add-on does not support, or an add-on without it', async () => {
    await expectAwsError(
      eks.send(
        new CreateAddonCommand({
          clusterName: 'demo',
          addonName: 'aws-ebs-csi-driver',
          podIdentityAssociations: [{ serviceAccount: 'aws-node', roleArn: role('ebs') }],
        }),
      ),
      'InvalidParameterException',
      400,
      /^Service account aws-node in pod identity configuration is not supported for addon aws-ebs-csi-driver$/,
    );
    await expectAwsError(
      eks.send(
        new CreateAddonCommand({
          clusterName: 'demo',
          addonName: 'coredns',
          podIdentityAssociations: [{ serviceAccount: 'coredns', roleArn: role('ebs') }],
        }),
      ),
      'InvalidParameterException',
      400,
      /^Pod Identity feature is not supported for addon version/,
    );
    assert.equal(
      sim.dump().clusters[0]?.addons.some((addon) => addon.name === 'aws-ebs-csi-driver'),
      false,
    );
  });

  it('updates an add-on: returns an AddonUpdate in progress, goes UPDATING, settles and replaces its associations', async () => {
    await statusesOver(eks, 'vpc-cni', 3);
    const { update } = await eks.send(
      new UpdateAddonCommand({
        clusterName: 'demo',
        addonName: 'vpc-cni',
        addonVersion: 'v1.19.2-eksbuild.1',
        resolveConflicts: 'OVERWRITE',
        podIdentityAssociations: [{ serviceAccount: 'aws-node', roleArn: role('cni-2') }],
      }),
    );
    assert.equal(update?.status, 'InProgress');
    assert.equal(update?.type, 'AddonUpdate');
    assert.match(update?.id ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      update?.params?.map((param) => param.type),
      ['AddonVersion', 'ResolveConflicts', 'PodIdentityAssociations'],
    );
    assert.equal(update?.params?.[0]?.value, 'v1.19.2-eksbuild.1');
    assert.deepEqual(await statusesOver(eks, 'vpc-cni', 3), ['UPDATING', 'UPDATING', 'ACTIVE']);
    const { addon } = await eks.send(
      new DescribeAddonCommand({ clusterName: 'demo', addonName: 'vpc-cni' }),
    );
    assert.equal(addon?.addonVersion, 'v1.19.2-eksbuild.1');
    const owned = sim
      .dump()
      .clusters[0]?.podIdentityAssociations.filter((entry) => entry.ownerArn === addon?.addonArn);
    assert.deepEqual(
      owned?.map((entry) => entry.roleArn),
      [role('cni-2')],
    );

    await eks.send(
      new UpdateAddonCommand({
        clusterName: 'demo',
        addonName: 'vpc-cni',
        podIdentityAssociations: [],
      }),
    );
    const { addon: emptied } = await eks.send(
      new DescribeAddonCommand({ clusterName: 'demo', addonName: 'vpc-cni' }),
    );
    assert.deepEqual(emptied?.podIdentityAssociations, []);
  });

  it('refuses to update an add-on that is still settling', async () => {
    await expectAwsError(
      eks.send(
        new UpdateAddonCommand({
          clusterName: 'demo',
          addonName: 'vpc-cni',
          configurationValues: '{}',
        }),
      ),
      'ResourceInUseException',
      409,
    );
  });

  it('deletes an add-on with its owned associations, or keeps them as standalone with preserve', async () => {
    await eks.send(
      new CreateAddonCommand({
        clusterName: 'demo',
        addonName: 'aws-ebs-csi-driver',
        podIdentityAssociations: [
          { serviceAccount: 'ebs-csi-controller-sa', roleArn: role('ebs') },
        ],
      }),
    );
    const { addon } = await eks.send(
      new DeleteAddonCommand({
        clusterName: 'demo',
        addonName: 'aws-ebs-csi-driver',
        preserve: true,
      }),
    );
    assert.equal(addon?.status, 'DELETING');
    await expectAwsError(
      eks.send(new DescribeAddonCommand({ clusterName: 'demo', addonName: 'aws-ebs-csi-driver' })),
      'ResourceNotFoundException',
      404,
    );
    const kept = sim
      .dump()
      .clusters[0]?.podIdentityAssociations.find(
        (entry) => entry.serviceAccount === 'ebs-csi-controller-sa',
      );
    assert.equal(kept?.roleArn, role('ebs'));
    assert.equal(kept?.ownerArn, undefined);

    await eks.send(
      new DeleteAddonCommand({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' }),
    );
    assert.deepEqual(
      sim
        .dump()
        .clusters[0]?.addons.map((entry) => entry.name)
        .sort(),
      ['kube-proxy', 'vpc-cni'],
    );
  });
});

describe('add-on failures', () => {
  it('settles into CREATE_FAILED or DEGRADED with health issues', async () => {
    const { sim, eks } = await startEks(
      world(
        'behaviour: {addonDescribesUntilSettled: 1, addonSettlesAs: {coredns: CREATE_FAILED, vpc-cni: DEGRADED}}',
      ),
    );
    try {
      await eks.send(new CreateAddonCommand({ clusterName: 'demo', addonName: 'coredns' }));
      await eks.send(new CreateAddonCommand({ clusterName: 'demo', addonName: 'vpc-cni' }));
      assert.deepEqual(await statusesOver(eks, 'coredns', 2), ['CREATING', 'CREATE_FAILED']);
      assert.deepEqual(await statusesOver(eks, 'vpc-cni', 2), ['CREATING', 'DEGRADED']);
      const { addon: failed } = await eks.send(
        new DescribeAddonCommand({ clusterName: 'demo', addonName: 'coredns' }),
      );
      assert.equal(failed?.health?.issues?.[0]?.code, 'ConfigurationConflict');
      const { addon: degraded } = await eks.send(
        new DescribeAddonCommand({ clusterName: 'demo', addonName: 'vpc-cni' }),
      );
      assert.equal(degraded?.health?.issues?.[0]?.code, 'InsufficientNumberOfReplicas');
    } finally {
      eks.destroy();
      await sim.close();
    }
  });
});

describe('listing add-ons and the add-on catalogue', () => {
  let sim: Simulator;
  let eks: EKSClient;

  before(async () => {
    ({ sim, eks } = await startEks(world()));
    for (const addonName of [
      'coredns',
      'vpc-cni',
      'eks-pod-identity-agent',
      'aws-ebs-csi-driver',
    ]) {
      await eks.send(new CreateAddonCommand({ clusterName: 'demo', addonName }));
    }
  });

  after(async () => {
    eks.destroy();
    await sim.close();
  });

  it('pages ListAddons across three pages whose union is every add-on once', async () => {
    const pages: string[][] = [];
    for await (const page of paginateListAddons(
      { client: eks, pageSize: 2 },
      { clusterName: 'demo' },
    )) {
      pages.push(page.addons ?? []);
    }
    assert.equal(pages.length, 3);
    const names = pages.flat();
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual([...names].sort(), [
      'aws-ebs-csi-driver',
      'coredns',
      'eks-pod-identity-agent',
      'kube-proxy',
      'vpc-cni',
    ]);
  });

  it('pages DescribeAddonVersions across four pages covering the built-in catalogue', async () => {
    const pages: AddonInfo[][] = [];
    for await (const page of paginateDescribeAddonVersions(
      { client: eks, pageSize: 2 },
      { kubernetesVersion: '1.31' },
    )) {
      pages.push(page.addons ?? []);
    }
    assert.equal(pages.length, 4);
    const names = pages.flat().map((info) => info.addonName);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual([...names].sort(), [
      'adot',
      'amazon-cloudwatch-observability',
      'aws-ebs-csi-driver',
      'aws-efs-csi-driver',
      'coredns',
      'eks-pod-identity-agent',
      'kube-proxy',
      'vpc-cni',
    ]);
  });

  it('filters by add-on name and Kubernetes version and marks the default version', async () => {
    const { addons } = await eks.send(
      new DescribeAddonVersionsCommand({
        addonName: 'eks-pod-identity-agent',
        kubernetesVersion: '1.33',
      }),
    );
    assert.equal(addons?.length, 1);
    const versions = addons?.[0]?.addonVersions ?? [];
    assert.deepEqual(
      versions.map((version) => version.addonVersion),
      ['v1.3.4-eksbuild.1', 'v1.3.2-eksbuild.2'],
    );
    assert.deepEqual(
      versions.map((version) => version.compatibilities?.[0]?.defaultVersion),
      [true, false],
    );
    assert.deepEqual(
      versions[0]?.compatibilities?.map((compatibility) => compatibility.clusterVersion),
      ['1.33'],
    );
    assert.equal(versions[0]?.requiresIamPermissions, false);

    const { addons: proxy } = await eks.send(
      new DescribeAddonVersionsCommand({ addonName: 'kube-proxy', kubernetesVersion: '1.29' }),
    );
    assert.deepEqual(
      proxy?.[0]?.addonVersions?.map((version) => version.addonVersion),
      ['v1.29.10-eksbuild.3'],
    );
    const { addons: none } = await eks.send(
      new DescribeAddonVersionsCommand({ kubernetesVersion: '1.20' }),
    );
    assert.deepEqual(none, []);
  });

  it('describes the pod identity configuration of an add-on version', async () => {
    const cni = await eks.send(
      new DescribeAddonConfigurationCommand({
        addonName: 'vpc-cni',
        addonVersion: 'v1.19.2-eksbuild.1',
      }),
    );
    assert.deepEqual(cni.podIdentityConfiguration, [
      {
        serviceAccount: 'aws-node',
        recommendedManagedPolicies: ['arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy'],
      },
    ]);
    assert.doesNotThrow(() => JSON.parse(cni.configurationSchema ?? ''));
    const ebs = await eks.send(
      new DescribeAddonConfigurationCommand({
        addonName: 'aws-ebs-csi-driver',
        addonVersion: 'v1.38.1-eksbuild.2',
      }),
    );
    assert.equal(ebs.podIdentityConfiguration?.[0]?.serviceAccount, 'ebs-csi-controller-sa');
    await expectAwsError(
      eks.send(
        new DescribeAddonConfigurationCommand({ addonName: 'vpc-cni', addonVersion: 'v0.0.0' }),
      ),
      'InvalidParameterException',
      400,
    );
  });

  it('knows which versions of the IAM-using add-ons support pod identity', async () => {
    const accounts = async (addonName: string, addonVersion: string) =>
      (
        await eks.send(new DescribeAddonConfigurationCommand({ addonName, addonVersion }))
      ).podIdentityConfiguration?.map((entry) => entry.serviceAccount);
    assert.deepEqual(await accounts('aws-efs-csi-driver', 'v2.1.4-eksbuild.1'), [
      'efs-csi-controller-sa',
    ]);
    assert.deepEqual(await accounts('adot', 'v0.109.0-eksbuild.2'), [
      'adot-col-prom-metrics',
      'adot-col-otlp-ingest',
      'adot-col-container-logs',
    ]);
    assert.deepEqual(await accounts('amazon-cloudwatch-observability', 'v2.6.0-eksbuild.1'), [
      'cloudwatch-agent',
    ]);
    for (const [name, version] of [
      ['vpc-cni', 'v1.14.1-eksbuild.1'],
      ['aws-ebs-csi-driver', 'v1.25.0-eksbuild.1'],
      ['aws-efs-csi-driver', 'v1.7.7-eksbuild.1'],
      ['adot', 'v0.92.1-eksbuild.1'],
      ['amazon-cloudwatch-observability', 'v1.5.1-eksbuild.1'],
    ] as const) {
      assert.deepEqual(await accounts(name, version), [], `${name} ${version}`);
    }
    const { addons } = await eks.send(
      new DescribeAddonVersionsCommand({ addonName: 'adot', kubernetesVersion: '1.31' }),
    );
    assert.equal(addons?.[0]?.defaultNamespace, 'opentelemetry-operator-system');
  });

  it('refuses add-on associations whose role does not trust pods.eks.amazonaws.com, and versions without pod identity', async () => {
    await expectAwsError(
      eks.send(
        new CreateAddonCommand({
          clusterName: 'demo',
          addonName: 'aws-efs-csi-driver',
          podIdentityAssociations: [
            { serviceAccount: 'efs-csi-controller-sa', roleArn: role('no-pod-trust') },
          ],
        }),
      ),
      'InvalidParameterException',
      400,
    );
    await expectAwsError(
      eks.send(
        new CreateAddonCommand({
          clusterName: 'demo',
          addonName: 'aws-efs-csi-driver',
          addonVersion: 'v1.7.7-eksbuild.1',
          podIdentityAssociations: [
            { serviceAccount: 'efs-csi-controller-sa', roleArn: role('ebs') },
          ],
        }),
      ),
      'InvalidParameterException',
      400,
    );
    const { addons } = await eks.send(
      new DescribeAddonVersionsCommand({ addonName: 'aws-efs-csi-driver' }),
    );
    assert.ok(addons);
    await expectAwsError(
      eks.send(new DescribeAddonCommand({ clusterName: 'demo', addonName: 'aws-efs-csi-driver' })),
      'ResourceNotFoundException',
      404,
    );
  });

  it('serves the world catalogue instead of the built-in one when the world has addonVersions', async () => {
    const custom = await startEks(
      world(`addonVersions:
  - {addonName: eks-pod-identity-agent, addonVersion: v9.9.9-eksbuild.1, kubernetesVersions: ["1.31"], defaultFor: ["1.31"]}`),
    );
    try {
      const { addons } = await custom.eks.send(new DescribeAddonVersionsCommand({}));
      assert.deepEqual(
        addons?.map((info) => info.addonName),
        ['eks-pod-identity-agent'],
      );
      const { addon } = await custom.eks.send(
        new CreateAddonCommand({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' }),
      );
      assert.equal(addon?.addonVersion, 'v9.9.9-eksbuild.1');
      await expectAwsError(
        custom.eks.send(new CreateAddonCommand({ clusterName: 'demo', addonName: 'vpc-cni' })),
        'InvalidParameterException',
        400,
      );
    } finally {
      custom.eks.destroy();
      await custom.sim.close();
    }
  });
});
