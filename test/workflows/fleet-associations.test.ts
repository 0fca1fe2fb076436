import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { FleetReport } from '../../functions/core/fleet/report.ts';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const ACCOUNT = '111122223333';
const BUCKET = `eks-pia-configs-${ACCOUNT}`;
const PODS_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}`;
const AGENT = '[{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1}]';

/**
 * Four clusters: two prod ones, a staging one, and a prod one without the agent, where a run
 * fails. `roles` are more existing roles, as lines of the roles list.
 */
function world(objects: Record<string, string> = {}, roles: string[] = []): string {
  const cluster = (name: string, tags: string, addons = AGENT) => `
  - name: ${name}
    version: "1.31"
    addons: ${addons}
    namespaces: [default, payments]
    tags: ${tags}`;
  return `
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:${cluster('prod-eu', '{env: prod}')}${cluster('prod-us', '{env: prod}')}${cluster('staging-1', '{env: staging}')}${cluster('prod-zz-noagent', '{env: prod}', '[]')}
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}
  - {name: app-data-reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}
${roles.map((role) => `  - ${role}`).join('\n')}
buckets:
  - name: ${BUCKET}
    objects: ${JSON.stringify(objects)}
`;
}

/** A fleet config: one shared role, and one role per cluster named after it. */
function fleetConfig(selector: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'eksctl.io/v1alpha5',
    kind: 'ClusterConfig',
    fleet: selector,
    iam: {
      podIdentityAssociations: [
        {
          namespace: 'payments',
          serviceAccountName: 'reports',
          roleARN: `arn:aws:iam::${ACCOUNT}:role/app-data-reader`,
        },
        {
          namespace: 'default',
          serviceAccountName: 'web',
          roleName: '{{cluster}}-web',
          permissionPolicyARNs: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
          tags: { cluster: '{{cluster}}' },
        },
      ],
    },
  };
}

function associationsByCluster(sim: SimulatedRun): Record<string, string[]> {
  return Object.fromEntries(
    sim.simulator
      .dump()
      .clusters.map((cluster) => [
        cluster.name,
        cluster.podIdentityAssociations
          .map((association) => `${association.namespace}/${association.serviceAccount}`)
          .sort(),
      ]),
  );
}

/** The mutating calls since `mark` other than the run store's writes and the run events. */
function clusterChangesSince(sim: SimulatedRun, mark: number): string[] {
  return sim
    .mutatingSince(mark)
    .filter((call) => !call.startsWith('s3:') && !call.startsWith('events:'));
}

describe('fleet-associations workflow', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('applies to the clusters a name pattern selects, a few at a time; a cluster that fails does not stop the others; a rerun changes nothing', async () => {
    sim = await simulate(world());
    const input = { config: { inline: fleetConfig({ namePattern: 'prod-*' }) } };
    const report = (await sim.run('fleet-associations', input)) as FleetReport;

    assert.equal(report.selector, 'names prod-*');
    assert.deepEqual(report.clusterCounts, { selected: 3, succeeded: 2, failed: 1 });
    assert.equal(report.counts.created, 4);
    const failed = report.clusters.find((cluster) => cluster.result === 'failed');
    assert.equal(failed?.clusterName, 'prod-zz-noagent');
    assert.equal(failed?.counts, null);
    assert.match(failed?.reason ?? '', /agent/i);
    assert.deepEqual(associationsByCluster(sim), {
      'prod-eu': ['default/web', 'payments/reports'],
      'prod-us': ['default/web', 'payments/reports'],
      'staging-1': [],
      'prod-zz-noagent': [],
    });
    const world_ = sim.simulator.dump();
    const web = world_.clusters[0]?.podIdentityAssociations.find(
      (association) => association.serviceAccount === 'web',
    );
    assert.match(web?.roleArn ?? '', /:role\/(?:.+\/)?prod-eu-web$/);
    assert.equal(web?.tags.cluster, 'prod-eu');
    assert.match(report.nextSteps[0] ?? '', /prod-zz-noagent/);

    const mark = sim.simulator.calls.length;
    const again = (await sim.run('fleet-associations', input)) as FleetReport;
    assert.equal(again.counts.unchanged, 4);
    assert.equal(again.counts.created, 0);
    assert.deepEqual(clusterChangesSince(sim, mark), []);
  });

  it("associates each cluster with its own existing role, named through {{cluster}} in the roleARN's name", async () => {
    // Existing roles: the guardrails let a config name them only when they carry the opt-in tag.
    const ownRole = (cluster: string) =>
      `{name: ${cluster}-reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}`;
    sim = await simulate(world({}, [ownRole('prod-eu'), ownRole('prod-us')]));
    const roleCount = sim.simulator.dump().roles.length;
    const config = {
      apiVersion: 'eksctl.io/v1alpha5',
      kind: 'ClusterConfig',
      fleet: { clusters: ['prod-eu', 'prod-us'] },
      iam: {
        podIdentityAssociations: [
          {
            namespace: 'payments',
            serviceAccountName: 'reports',
            roleARN: `arn:aws:iam::${ACCOUNT}:role/{{cluster}}-reader`,
          },
        ],
      },
    };
    const report = (await sim.run('fleet-associations', {
      config: { inline: config },
    })) as FleetReport;

    assert.deepEqual(report.clusterCounts, { selected: 2, succeeded: 2, failed: 0 });
    const dump = sim.simulator.dump();
    assert.deepEqual(
      Object.fromEntries(
        dump.clusters.map((cluster) => [
          cluster.name,
          cluster.podIdentityAssociations.map((association) => association.roleArn),
        ]),
      ),
      {
        'prod-eu': [`arn:aws:iam::${ACCOUNT}:role/prod-eu-reader`],
        'prod-us': [`arn:aws:iam::${ACCOUNT}:role/prod-us-reader`],
        'staging-1': [],
        'prod-zz-noagent': [],
      },
    );
    assert.equal(dump.roles.length, roleCount, 'no role was created');
  });

  it('selects by tags, or by the names the input gives in place of the fleet: block', async () => {
    sim = await simulate(world());
    const byTags = (await sim.run('fleet-associations', {
      config: { inline: fleetConfig({ tags: { env: 'staging' } }) },
    })) as FleetReport;
    assert.deepEqual(
      byTags.clusters.map((cluster) => cluster.clusterName),
      ['staging-1'],
    );

    const byNames = (await sim.run('fleet-associations', {
      config: { inline: fleetConfig({ tags: { env: 'staging' } }) },
      clusters: 'prod-us,staging-1,tag:env=prod',
    })) as FleetReport;
    assert.equal(byNames.selector, 'clusters prod-us, staging-1; tags env=prod');
    assert.deepEqual(
      byNames.clusters.map((cluster) => cluster.clusterName),
      ['prod-us'],
    );
    assert.deepEqual(byNames.warnings, [
      'staging-1 is named in the selector but left out: its tag env is "staging", not "prod"',
    ]);
    assert.deepEqual(associationsByCluster(sim)['prod-eu'], []);
    assert.deepEqual(associationsByCluster(sim)['prod-us'], ['default/web', 'payments/reports']);
  });

  it('refuses a selector naming a cluster that does not exist, in the block or the input, before any cluster is touched', async () => {
    sim = await simulate(world());
    for (const input of [
      { config: { inline: fleetConfig({ clusters: ['prod-eu', 'prod-ue'] }) } },
      {
        config: { inline: fleetConfig({ namePattern: 'prod-*' }) },
        clusters: 'prod-eu,unknown,tag:env=prod',
      },
    ]) {
      await assert.rejects(
        sim.run('fleet-associations', input),
        (error: unknown) =>
          error instanceof WorkflowFailedError &&
          error.error === 'UnknownClusterError' &&
          error.state === 'Select Clusters' &&
          /a named cluster does not exist in region us-west-2: "(prod-ue" \(did you mean "prod-eu"\?\)|unknown")\. The region's clusters: prod-eu, prod-us, prod-zz-noagent and staging-1\. Nothing was changed/.test(
            error.cause,
          ),
      );
    }
    assert.deepEqual(
      sim.mutatingSince(0).filter((call) => !call.startsWith('s3:')),
      [],
    );
  });

  it('warns of a name pattern that matches no cluster', async () => {
    sim = await simulate(world());
    const report = (await sim.run('fleet-associations', {
      config: { inline: fleetConfig({ namePattern: 'prdo-*' }) },
    })) as FleetReport;
    assert.equal(report.clusterCounts.selected, 0);
    assert.deepEqual(report.warnings, [
      'namePattern "prdo-*" matches no name among the 4 clusters of region us-west-2: check it for a typo (* matches any run of characters, ? one; case counts)',
    ]);
    assert.match(report.nextSteps[0] ?? '', /no cluster matched names prdo-\*/);
  });

  it('starts from a config uploaded under fleet/; a dry run changes nothing', async () => {
    const text = JSON.stringify(fleetConfig({ clusters: ['prod-eu'] }));
    sim = await simulate(world({ 'fleet/payments.json': text }));
    const report = (await sim.run(
      'fleet-associations',
      {
        source: 'aws.s3',
        'detail-type': 'Object Created',
        detail: { bucket: { name: BUCKET }, object: { key: 'fleet/payments.json' } },
      },
      {},
    )) as FleetReport;
    assert.equal(report.source, `s3://${BUCKET}/fleet/payments.json`);
    assert.deepEqual(associationsByCluster(sim)['prod-eu'], ['default/web', 'payments/reports']);

    const mark = sim.simulator.calls.length;
    const dry = (await sim.run('fleet-associations', {
      config: { inline: fleetConfig({ clusters: ['prod-us'] }) },
      dryRun: true,
    })) as FleetReport;
    assert.equal(dry.dryRun, true);
    assert.equal(dry.counts.created, 2);
    assert.deepEqual(clusterChangesSince(sim, mark), []);
  });

  it('refuses a config that is wrong for one selected cluster before any cluster is touched', async () => {
    sim = await simulate(world());
    const config = fleetConfig({ namePattern: 'prod-*' });
    (
      config.iam as { podIdentityAssociations: { roleName?: string }[] }
    ).podIdentityAssociations[1] = {
      ...(config.iam as { podIdentityAssociations: Record<string, unknown>[] })
        .podIdentityAssociations[1],
      roleName: `{{cluster}}-${'r'.repeat(50)}`,
    };
    await assert.rejects(
      sim.run('fleet-associations', { config: { inline: config } }),
      (error: unknown) =>
        error instanceof WorkflowFailedError &&
        error.error === 'ConfigValidationError' &&
        /for cluster "prod-zz-noagent"/.test(error.cause) &&
        !/for cluster "prod-eu"/.test(error.cause),
    );
    assert.deepEqual(
      sim.mutatingSince(0).filter((call) => !call.startsWith('s3:')),
      [],
    );
  });

  it('reports 500 clusters that all fail, every state under 256 KiB: each outcome is kept in the run store, not in the Map', async () => {
    const clusters = Array.from(
      { length: 500 },
      (_, index) =>
        `  - {name: prod-cluster-eu-${String(index).padStart(4, '0')}, namespaces: [default, payments]}`,
    );
    sim = await simulate(
      world().replace(/clusters:[\s\S]*?\nroles:/, `clusters:\n${clusters.join('\n')}\nroles:`),
    );
    let largest = 0;
    const report = (await sim.run(
      'fleet-associations',
      { config: { inline: fleetConfig({ namePattern: 'prod-*' }) } },
      { onStateData: (_state, _data, bytes) => (largest = Math.max(largest, bytes)) },
    )) as FleetReport & { omittedClusters?: number };
    assert.deepEqual(report.clusterCounts, { selected: 500, succeeded: 0, failed: 500 });
    assert.match(report.clusters[0]?.reason ?? '', /^AgentMissingError: /);
    // The run store keeps each cluster's outcome; the Map's result carries only names (with every
    // cause in the state, the Map's output passed 400 KiB and the run failed).
    assert.ok(largest < 256 * 1024, `largest state ${largest} bytes`);
  });

  it('ends quietly for an upload outside fleet/', async () => {
    sim = await simulate(world());
    const output = await sim.run('fleet-associations', {
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: BUCKET }, object: { key: 'apply/demo.yaml' } },
    });
    assert.deepEqual(output, {
      workflow: 'fleet-associations',
      ignored: true,
      reason: '"apply/demo.yaml" is not a file under fleet/',
    });
  });
});
