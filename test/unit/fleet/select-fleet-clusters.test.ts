import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
