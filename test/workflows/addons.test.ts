import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const EVENTS = join(import.meta.dirname, '..', '..', 'events');
const ACCOUNT = '111122223333';
const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/ADDONS';
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER}`;
const PODS_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}`;
const CNI_IRSA_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Federated: "${PROVIDER}"}, Action: "sts:AssumeRoleWithWebIdentity", Condition: {StringEquals: {"${ISSUER}:sub": "system:serviceaccount:kube-system:aws-node"}}}]}`;

interface AddonResult {
  name: string;
  version: string;
  result: string;
  reason: string;
  podIdentityAssociations?: { serviceAccount: string; roleArn: string }[];
  steps?: string[];
}

interface Report {
  addons?: AddonResult[];
  items: unknown[];
  warnings: string[];
}

function world({ addons = '[]', roles = '', behaviour = '{}' } = {}): string {
  return `
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:
  - name: demo
    version: "1.31"
    oidcIssuer: https://${ISSUER}
    addons: ${addons}
    namespaces: [default]
openIdConnectProviders: ["${PROVIDER}"]
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}
  - {name: cni-pods, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}, attachedPolicies: ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]}
  - {name: cni-irsa, assumeRolePolicyDocument: ${CNI_IRSA_TRUST}, attachedPolicies: ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]}
${roles}
behaviour: ${behaviour}
`;
}

/** A console input of `addons:` written as YAML flow sequences, for `create addon -f` (scope addons). */
function addonsInput(
  operation: string,
  addons: string,
  extra: Record<string, unknown> = {},
  addonsConfig = '',
): unknown {
  const config = parseYaml(
    `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-west-2}\n${addonsConfig}addons:\n${addons}`,
  );
  return { operation, scope: 'addons', config: { inline: config }, ...extra };
}

function addonOf(sim: SimulatedRun, name: string) {
  return sim.simulator.dump().clusters[0]?.addons.find((addon) => addon.name === name);
}

function associationsOf(sim: SimulatedRun) {
  return (sim.simulator.dump().clusters[0]?.podIdentityAssociations ?? []).map(
    (association) =>
      `${association.namespace}/${association.serviceAccount} ${association.roleArn}`,
  );
}

describe('add-ons of a config (associations workflow)', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('creates events/configs/create-addons.yaml: the agent, vpc-cni with a created role, the EBS CSI driver with its recommended association; a rerun changes nothing', async () => {
    sim = await simulate(world());
    const config = parseYaml(readFileSync(join(EVENTS, 'configs', 'create-addons.yaml'), 'utf8'));
    const input = { operation: 'create', scope: 'addons', config: { inline: config } };

    const report = (await sim.run('associations', input)) as Report;
    assert.deepEqual(
      report.addons?.map((addon) => `${addon.name} ${addon.result}`),
      [
        'eks-pod-identity-agent created',
        'vpc-cni created',
        'aws-ebs-csi-driver created',
        'coredns created',
      ],
    );
    assert.deepEqual(report.items, [], 'scope addons leaves the iam: section alone');
    const associations = associationsOf(sim);
    assert.equal(associations.length, 2);
    assert.match(
      associations.join('\n'),
      /kube-system\/aws-node arn:aws:iam::111122223333:role\/eks-pia\/eks-pia-demo-kube-system-aws-node-/,
    );
    assert.match(
      associations.join('\n'),
      /kube-system\/ebs-csi-controller-sa arn:aws:iam::111122223333:role\/eks-pia\//,
    );
    const ebsRole = sim.simulator
      .dump()
      .roles.find((role) => role.name.includes('ebs-csi-controller-sa'));
    assert.deepEqual(ebsRole?.attachedPolicies, [
      'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
    ]);
    assert.equal(addonOf(sim, 'coredns')?.configurationValues, 'replicaCount: 3\n');

    const mark = sim.simulator.calls.length;
    const again = (await sim.run('associations', input)) as Report;
    assert.deepEqual(sim.mutatingSince(mark), []);
    assert.ok(again.addons?.every((addon) => addon.result === 'unchanged'));
  });

  it('shows the add-ons in a dry run and changes nothing', async () => {
    sim = await simulate(world());
    const report = (await sim.run(
      'associations',
      addonsInput(
        'create',
        '  - {name: aws-efs-csi-driver, useDefaultPodIdentityAssociations: true}',
        { dryRun: true },
      ),
    )) as Report;
    const [efs] = report.addons ?? [];
    assert.equal(efs?.result, 'created');
    assert.match(efs?.reason ?? '', /^would create/);
    assert.ok(
      efs?.steps?.some((step) => /create IAM role .*efs-csi-controller-sa/.test(step)),
      JSON.stringify(efs),
    );
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('applies addonsConfig.autoApplyPodIdentityAssociations on creation with the recommended policies of each service account', async () => {
    sim = await simulate(world());
    await sim.run(
      'associations',
      addonsInput(
        'create',
        '  - {name: adot}',
        {},
        'addonsConfig: {autoApplyPodIdentityAssociations: true}\n',
      ),
    );
    assert.deepEqual(
      associationsOf(sim)
        .map((line) => line.split(' ')[0])
        .sort(),
      [
        'opentelemetry-operator-system/adot-col-container-logs',
        'opentelemetry-operator-system/adot-col-otlp-ingest',
        'opentelemetry-operator-system/adot-col-prom-metrics',
      ],
    );
  });

  it('refuses bad add-ons before any change, naming each problem', async () => {
    sim = await simulate(world());
    const bad = [
      '  - {name: no-such-addon}',
      '  - {name: vpc-cni, version: v9.9.9-eksbuild.1}',
      '  - {name: aws-ebs-csi-driver, version: v1.25.0-eksbuild.1, useDefaultPodIdentityAssociations: true}',
      `  - {name: amazon-cloudwatch-observability, podIdentityAssociations: [{namespace: amazon-cloudwatch, serviceAccountName: not-the-agent, roleARN: "arn:aws:iam::${ACCOUNT}:role/cni-pods"}]}`,
      '  - {name: eks-pod-identity-agent}',
    ].join('\n');
    await assert.rejects(sim.run('associations', addonsInput('create', bad)), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.error, 'AddonValidationError');
      assert.match(error.cause, /addons\[0\]\.name: EKS offers no add-on "no-such-addon"/);
      assert.match(error.cause, /addons\[1\]\.version: EKS offers no version v9\.9\.9-eksbuild\.1/);
      assert.match(
        error.cause,
        /addons\[2\]\.useDefaultPodIdentityAssociations: "aws-ebs-csi-driver" addon does not support pod identity associations/,
      );
      assert.match(
        error.cause,
        /addons\[3\]\.podIdentityAssociations\[0\]\.serviceAccountName: service account "not-the-agent"/,
      );
      return true;
    });
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('refuses podIdentityAssociations beside serviceAccountRoleARN (config rule)', async () => {
    sim = await simulate(world());
    const both = `  - {name: vpc-cni, serviceAccountRoleARN: "arn:aws:iam::${ACCOUNT}:role/cni-irsa", podIdentityAssociations: [{namespace: kube-system, serviceAccountName: aws-node, roleARN: "arn:aws:iam::${ACCOUNT}:role/cni-pods"}]}`;
    await assert.rejects(sim.run('associations', addonsInput('create', both)), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.error, 'ConfigValidationError');
      assert.match(error.cause, /cannot set IRSA config/);
      return true;
    });
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('update is declarative: [] removes the add-on associations and deletes the roles eks-pia created for them', async () => {
    sim = await simulate(
      world({ addons: '[{name: vpc-cni, version: v1.19.2-eksbuild.1, status: ACTIVE}]' }),
    );
    const managed =
      '  - {name: vpc-cni, podIdentityAssociations: [{namespace: kube-system, serviceAccountName: aws-node, permissionPolicyARNs: ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]}]}';
    const first = (await sim.run('associations', addonsInput('update', managed))) as Report;
    assert.equal(first.addons?.[0]?.result, 'updated');
    assert.equal(associationsOf(sim).length, 1);
    assert.ok(sim.simulator.dump().roles.some((role) => role.path === '/eks-pia/'));

    // Settle the update as EKS would, then leave the associations out: refused, as in eksctl.
    addonOf(sim, 'vpc-cni');
    for (const addon of sim.simulator.state.world.clusters[0]?.addons ?? [])
      addon.status = 'ACTIVE';
    await assert.rejects(
      sim.run('associations', addonsInput('update', '  - {name: vpc-cni}')),
      /must be explicitly set to \[\]/,
    );

    const removed = (await sim.run(
      'associations',
      addonsInput('update', '  - {name: vpc-cni, podIdentityAssociations: []}'),
    )) as Report;
    assert.equal(removed.addons?.[0]?.result, 'updated');
    assert.deepEqual(associationsOf(sim), []);
    assert.ok(!sim.simulator.dump().roles.some((role) => role.path === '/eks-pia/'));

    for (const addon of sim.simulator.state.world.clusters[0]?.addons ?? [])
      addon.status = 'ACTIVE';
    const mark = sim.simulator.calls.length;
    await sim.run(
      'associations',
      addonsInput('update', '  - {name: vpc-cni, podIdentityAssociations: []}'),
    );
    assert.deepEqual(sim.mutatingSince(mark), []);
  });

  it('reports an add-on whose CreateAddon keeps failing, and a rerun converges without a second role', async () => {
    sim = await simulate(
      world({
        behaviour:
          '{faults: [{operation: "eks:CreateAddon", nth: 1, times: 20, error: ServerException}]}',
      }),
    );
    const input = addonsInput(
      'create',
      '  - {name: aws-efs-csi-driver, useDefaultPodIdentityAssociations: true}',
    );
    const failed = (await sim.run('associations', input)) as Report;
    assert.equal(failed.addons?.[0]?.result, 'failed');
    assert.match(failed.addons?.[0]?.reason ?? '', /^creating addon aws-efs-csi-driver: /);
    assert.equal(addonOf(sim, 'aws-efs-csi-driver'), undefined);

    sim.simulator.state.world.behaviour.faults = [];
    const rerun = (await sim.run('associations', input)) as Report;
    assert.equal(rerun.addons?.[0]?.result, 'created');
    assert.equal(
      sim.simulator.dump().roles.filter((role) => role.path === '/eks-pia/').length,
      1,
      'the role the failed run created is reused',
    );
    assert.deepEqual(
      associationsOf(sim).map((line) => line.split(' ')[0]),
      ['kube-system/efs-csi-controller-sa'],
    );
  });

  it('an S3-style run without scope applies both sections, add-ons first', async () => {
    sim = await simulate(world());
    const config = parseYaml(
      `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: us-west-2}\niam:\n  podIdentityAssociations:\n    - {namespace: default, serviceAccountName: web, roleARN: "arn:aws:iam::${ACCOUNT}:role/cni-pods"}\naddons:\n  - {name: eks-pod-identity-agent}\n`,
    );
    const report = (await sim.run('associations', {
      operation: 'apply',
      config: { inline: config },
    })) as Report;
    assert.equal(report.addons?.[0]?.result, 'created');
    assert.equal(report.items.length, 1);
    const calls = sim.mutatingSince(0);
    assert.ok(calls.indexOf('eks:CreateAddon') < calls.indexOf('eks:CreatePodIdentityAssociation'));
  });
});

describe('migration of add-ons that use IRSA', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const migrate = (approve: boolean, removeOidc = false) => ({
    clusterName: 'demo',
    approve,
    removeOidcProviderTrustRelationship: removeOidc,
    discovery: 'iam',
  });

  it('plans "1 addon(s)" for vpc-cni, moves it by UpdateAddon with the trust added first, and a rerun changes nothing', async () => {
    sim = await simulate(
      world({
        addons: `[{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1, status: ACTIVE}, {name: vpc-cni, version: v1.19.2-eksbuild.1, status: ACTIVE, serviceAccountRoleArn: "arn:aws:iam::${ACCOUNT}:role/cni-irsa"}]`,
      }),
    );
    const plan = (await sim.run('migrate-to-pod-identity', migrate(false))) as {
      headline: string;
      tasks: string[];
    };
    assert.match(
      plan.headline,
      /^\(plan\) would migrate 0 iamserviceaccount\(s\) and 1 addon\(s\) to pod identity/,
    );
    assert.ok(plan.tasks.some((task) => task.includes('migrate addon vpc-cni to pod identity')));
    assert.deepEqual(sim.mutatingSince(0), []);

    const report = (await sim.run('migrate-to-pod-identity', migrate(true, true))) as {
      addons: { addonName: string; result: string }[];
    };
    assert.deepEqual(
      report.addons.map((addon) => `${addon.addonName} ${addon.result}`),
      ['vpc-cni migrated'],
    );
    const calls = sim.mutatingSince(0);
    assert.deepEqual(
      calls.filter((call) => call !== 's3:PutObject' && call !== 'events:PutEvents'),
      ['iam:UpdateAssumeRolePolicy', 'eks:UpdateAddon', 'iam:UpdateAssumeRolePolicy'],
    );
    assert.deepEqual(associationsOf(sim), [
      `kube-system/aws-node arn:aws:iam::${ACCOUNT}:role/cni-irsa`,
    ]);
    const trust = JSON.stringify(
      sim.simulator.dump().roles.find((role) => role.name === 'cni-irsa')?.assumeRolePolicyDocument,
    );
    assert.match(trust, /pods\.eks\.amazonaws\.com/);
    assert.doesNotMatch(trust, /oidc-provider/, 'removal was asked for, after the update');

    const mark = sim.simulator.calls.length;
    const rerun = (await sim.run('migrate-to-pod-identity', migrate(true, true))) as {
      headline: string;
    };
    assert.match(rerun.headline, /already migrated/);
    assert.deepEqual(
      sim.mutatingSince(mark).filter((call) => call.startsWith('eks:') || call.startsWith('iam:')),
      [],
    );
  });

  it('refuses to give an add-on another role than its own when the plan document was changed, changing nothing', async () => {
    sim = await simulate(
      world({
        addons: `[{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1, status: ACTIVE}, {name: vpc-cni, version: v1.19.2-eksbuild.1, status: ACTIVE, serviceAccountRoleArn: "arn:aws:iam::${ACCOUNT}:role/cni-irsa"}]`,
      }),
    );
    const { simulator } = sim;
    const report = (await sim.run('migrate-to-pod-identity', migrate(true), {
      // Someone with write access to runs/ gives vpc-cni an opted-in role of their choosing.
      onTaskInvoked: (task) => {
        if (task !== 'migrate-addons') return;
        for (const bucket of simulator.state.world.buckets) {
          for (const [key, text] of Object.entries(bucket.objects)) {
            if (!key.endsWith('/migration-plan.json')) continue;
            const plan = JSON.parse(text) as { addons: { roleArn: string; roleName: string }[] };
            for (const addon of plan.addons) {
              addon.roleArn = `arn:aws:iam::${ACCOUNT}:role/cni-pods`;
              addon.roleName = 'cni-pods';
            }
            bucket.objects[key] = JSON.stringify(plan);
          }
        }
      },
    })) as { addons: { addonName: string; result: string; reason: string }[] };
    assert.deepEqual(
      report.addons.map((addon) => `${addon.addonName} ${addon.result}`),
      ['vpc-cni failed'],
    );
    assert.match(
      report.addons[0]?.reason ?? '',
      /refused to give addon vpc-cni role arn:aws:iam::111122223333:role\/cni-pods: its IRSA role is arn:aws:iam::111122223333:role\/cni-irsa/,
    );
    assert.deepEqual(
      sim.mutatingSince(0).filter((call) => call.startsWith('eks:') || call.startsWith('iam:')),
      [],
    );
    assert.deepEqual(associationsOf(sim), []);
  });

  it('skips an add-on whose version does not support pod identity, with the reason (eksctl #7752)', async () => {
    sim = await simulate(
      world({
        addons: `[{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1, status: ACTIVE}, {name: vpc-cni, version: v1.14.1-eksbuild.1, status: ACTIVE, serviceAccountRoleArn: "arn:aws:iam::${ACCOUNT}:role/cni-irsa"}]`,
      }),
    );
    const report = (await sim.run('migrate-to-pod-identity', migrate(true))) as {
      headline: string;
      addons: { result: string; reason: string }[];
    };
    assert.equal(
      report.headline,
      'no iamserviceaccounts or addons found to migrate to pod identity',
    );
    assert.equal(report.addons[0]?.result, 'skipped');
    assert.match(report.addons[0]?.reason ?? '', /does not support pod identity/);
    assert.ok(!sim.mutatingSince(0).includes('eks:UpdateAddon'));
    assert.deepEqual(associationsOf(sim), []);
  });
});
