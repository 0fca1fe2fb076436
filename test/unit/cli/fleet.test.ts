import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, scratch } from './run-cli.ts';

const ACCOUNT = '111122223333';
const PODS_TRUST = `{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: pods.eks.amazonaws.com}, Action: ["sts:AssumeRole", "sts:TagSession"]}]}`;

function files(): { dir: string; world: string; fleet: string; single: string } {
  const dir = scratch();
  const cluster = (
    name: string,
    env: string,
    addons = '[{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1}]',
  ) =>
    `  - {name: ${name}, version: "1.31", addons: ${addons}, namespaces: [default], tags: {env: ${env}}}\n`;
  const world = join(dir, 'world.yaml');
  writeFileSync(
    world,
    `account: "${ACCOUNT}"\nregion: us-west-2\ncaller: arn:aws:iam::${ACCOUNT}:role/automation\nclusters:\n${cluster('prod-a', 'prod')}${cluster('prod-b', 'prod')}${cluster('dev-a', 'dev')}${cluster('prod-c', 'prod', '[]')}roles:\n  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}\n  - {name: reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}\n`,
  );
  const fleet = join(dir, 'fleet.yaml');
  writeFileSync(
    fleet,
    `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nfleet:\n  tags: {env: prod}\niam:\n  podIdentityAssociations:\n    - {namespace: default, serviceAccountName: web, roleARN: "arn:aws:iam::${ACCOUNT}:role/reader"}\n`,
  );
  const single = join(dir, 'single.yaml');
  writeFileSync(
    single,
    `apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: prod-a, region: us-west-2}\niam:\n  podIdentityAssociations:\n    - {namespace: default, serviceAccountName: web, roleARN: "arn:aws:iam::${ACCOUNT}:role/reader"}\n`,
  );
  return { dir, world, fleet, single };
}

describe('eks-pia apply podidentityassociation with a fleet config', () => {
  it('applies it to the clusters its --clusters selects, one line per cluster', async () => {
    const { world, fleet } = files();
    const result = await cli(
      'apply',
      'podidentityassociation',
      '-f',
      fleet,
      '--clusters',
      'prod-a,prod-b',
      '--simulate',
      world,
    );
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^CLUSTER +RESULT +CREATED/m);
    assert.match(result.out, /^prod-a +succeeded +1 /m);
    assert.match(result.out, /^prod-b +succeeded +1 /m);
    assert.doesNotMatch(result.out, /dev-a|prod-c/);
    assert.match(result.out, /on 2 clusters \(clusters prod-a, prod-b\): 0 failed/);
  });

  it("prints a dry run as one plan: each cluster's items with their steps, under the cluster", async () => {
    const { world, fleet } = files();
    const args = ['-f', fleet, '--clusters', 'prod-a,prod-b', '--dry-run', '--simulate', world];
    const result = await cli('apply', 'podidentityassociation', ...args);
    assert.equal(result.code, 0, result.err);
    const plan = (cluster: string) =>
      `${cluster}:\n  \\(dry run\\) would create pod identity association for service account "web" in namespace "default"\n      pod identity association for service account "default/web" does not exist; it will be created with role arn:aws:iam::${ACCOUNT}:role/reader\n      - create pod identity association for service account "default/web"\n`;
    assert.match(result.out, new RegExp(`^${plan('prod-a')}${plan('prod-b')}\\n^CLUSTER `, 'm'));
    assert.match(result.out, /^dry run of .* on 2 clusters/m);

    const json = await cli('apply', 'podidentityassociation', ...args, '-o', 'json');
    assert.equal(json.code, 0, json.err);
    const report = JSON.parse(json.out) as {
      clusters: { clusterName: string; items: { serviceAccount: string; steps: string[] }[] }[];
    };
    assert.deepEqual(
      report.clusters.map((cluster) => [
        cluster.clusterName,
        cluster.items.map((item) => [item.serviceAccount, item.steps]),
      ]),
      ['prod-a', 'prod-b'].map((cluster) => [
        cluster,
        [['web', ['create pod identity association for service account "default/web"']]],
      ]),
    );
  });

  it('exits 2, changing nothing, when --clusters names a cluster that does not exist', async () => {
    const { dir, world, fleet } = files();
    const state = join(dir, 'state.json');
    const result = await cli(
      'apply',
      'podidentityassociation',
      '-f',
      fleet,
      '--clusters',
      'prod-a,unknown',
      '--simulate',
      world,
      '--state-out',
      state,
    );
    assert.equal(result.code, 2, result.err);
    assert.match(
      result.err,
      /UnknownClusterError: clusters prod-a, unknown: a named cluster does not exist in region us-west-2: "unknown"\. The region's clusters: dev-a, prod-a, prod-b and prod-c\. Nothing was changed/,
    );
    assert.doesNotMatch(result.out, /^prod-a/m);
    const after = JSON.parse(readFileSync(state, 'utf8')) as {
      clusters: { podIdentityAssociations: unknown[] }[];
    };
    assert.ok(after.clusters.every((cluster) => cluster.podIdentityAssociations.length === 0));
  });

  it('exits 1 after the report when a selected cluster failed, the others applied', async () => {
    const { world, fleet } = files();
    const result = await cli('apply', 'podidentityassociation', '-f', fleet, '--simulate', world);
    assert.equal(result.code, 1);
    assert.match(result.out, /^prod-c +failed +- /m);
    assert.match(result.out, /^prod-a +succeeded/m);
    assert.match(result.err, /1 of 3 clusters failed/);
  });

  it('exits 2 before running anything for what a fleet config cannot take', async () => {
    const { dir, world, fleet, single } = files();
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nfleet: {}\n');
    for (const [args, message] of [
      [['-f', fleet, '--prune'], /--prune is not available for a fleet config/],
      [['-f', fleet, '--clusters', 'a-*,b-*'], /2 name patterns/],
      [['-f', single, '--clusters', 'prod-a'], /has no fleet: block/],
      [['-f', broken], /fleet selects no cluster/],
    ] as const) {
      const result = await cli('apply', 'podidentityassociation', ...args, '--simulate', world);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.err, message);
    }
  });
});
