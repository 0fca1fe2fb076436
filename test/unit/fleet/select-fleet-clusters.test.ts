import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnknownClusterError } from '../../../functions/core/fleet/fleet-config.ts';
import {
  FleetTooLargeError,
  MAX_FLEET_CLUSTERS,
  selectFleetClusters,
} from '../../../functions/shared/select-fleet-clusters/select-fleet-clusters.ts';

function region(clusters: Record<string, Record<string, string> | undefined>) {
  const described: string[] = [];
  return {
    described,
    deps: {
      deploymentRegion: 'eu-west-1',
      listClusters: async () => Object.keys(clusters),
      clusterTags: async (name: string) => {
        described.push(name);
        return clusters[name];
      },
    },
  };
}

describe('selectFleetClusters', () => {
  it('reads tags only when the selector names tags, and passes over a cluster deleted meanwhile', async () => {
    const byName = region({ 'prod-b': {}, 'prod-a': {}, staging: {} });
    assert.deepEqual(
      await selectFleetClusters(
        { selection: { selector: { namePattern: 'prod-*' } } },
        byName.deps,
      ),
      { listed: 3, clusterNames: ['prod-a', 'prod-b'], warnings: [] },
    );
    assert.deepEqual(byName.described, []);

    const byTags = region({ a: { env: 'prod' }, gone: undefined, c: { env: 'dev' } });
    const selected = await selectFleetClusters(
      { selection: { selector: { tags: { env: 'prod' } } } },
      byTags.deps,
    );
    assert.deepEqual(selected.clusterNames, ['a']);
    assert.deepEqual(byTags.described.sort(), ['a', 'c', 'gone']);
  });

  it('refuses every named cluster that does not exist, before reading any tags, with what it likely meant', async () => {
    const eu = region({ 'prod-eu': { env: 'prod' }, 'prod-us': { env: 'prod' }, staging: {} });
    await assert.rejects(
      selectFleetClusters(
        {
          selection: {
            selector: { clusters: ['prod-eu', 'prod-ue', 'typo-cluster'], tags: { env: 'prod' } },
          },
        },
        eu.deps,
      ),
      (error: unknown) => {
        assert.ok(error instanceof UnknownClusterError);
        assert.equal(error.name, 'UnknownClusterError');
        assert.match(
          error.message,
          /2 named clusters do not exist in region eu-west-1: "prod-ue" \(did you mean "prod-eu"\?\) and "typo-cluster"\. The region's clusters: prod-eu, prod-us and staging\. Nothing was changed/,
        );
        return true;
      },
    );
    assert.deepEqual(eu.described, []);
  });

  it('leaves out a named cluster its tags or the name pattern refuse, saying which and why', async () => {
    const eu = region({ 'prod-eu': { env: 'prod' }, 'prod-us': { env: 'staging' }, 'dev-1': {} });
    const selected = await selectFleetClusters(
      {
        selection: {
          selector: { clusters: ['prod-eu', 'prod-us', 'dev-1'], tags: { env: 'prod' } },
        },
      },
      eu.deps,
    );
    assert.deepEqual(selected.clusterNames, ['prod-eu']);
    assert.deepEqual(selected.warnings, [
      'dev-1 is named in the selector but left out: it has no tag env (the selector wants env=prod)',
      'prod-us is named in the selector but left out: its tag env is "staging", not "prod"',
    ]);

    const byPattern = await selectFleetClusters(
      { selection: { selector: { clusters: ['prod-eu', 'dev-1'], namePattern: 'prod-*' } } },
      region({ 'prod-eu': {}, 'dev-1': {} }).deps,
    );
    assert.deepEqual(byPattern.clusterNames, ['prod-eu']);
    assert.deepEqual(byPattern.warnings, [
      'dev-1 is named in the selector but left out: its name does not match namePattern "prod-*"',
    ]);
  });

  it('warns of a name pattern that matches no cluster, and selects nothing', async () => {
    const selected = await selectFleetClusters(
      { selection: { selector: { namePattern: 'prdo-*' } } },
      region({ 'prod-eu': {}, 'prod-us': {} }).deps,
    );
    assert.deepEqual(selected.clusterNames, []);
    assert.deepEqual(selected.warnings, [
      'namePattern "prdo-*" matches no name among the 2 clusters of region eu-west-1: check it for a typo (* matches any run of characters, ? one; case counts)',
    ]);
  });

  it('selects nothing, listing nothing, for a config limited to another region', async () => {
    const other = region({ a: {} });
    const selected = await selectFleetClusters(
      { selection: { selector: { namePattern: '*' }, region: 'us-east-1' } },
      other.deps,
    );
    assert.deepEqual(selected.clusterNames, []);
    assert.match(selected.warnings[0] ?? '', /metadata\.region is us-east-1/);
  });

  it('refuses to apply to more clusters than one run can carry', async () => {
    const crowded = region(
      Object.fromEntries(
        Array.from({ length: MAX_FLEET_CLUSTERS + 1 }, (_, index) => [`c${index}`, {}]),
      ),
    );
    await assert.rejects(
      selectFleetClusters({ selection: { selector: { namePattern: 'c*' } } }, crowded.deps),
      FleetTooLargeError,
    );
  });
});
