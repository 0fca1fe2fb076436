import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ItemResult } from '../../../functions/core/associations/report.ts';
import {
  buildFleetReport,
  clusterOutcome,
  type FleetReport,
  KEPT_CAUSE_CHARACTERS,
} from '../../../functions/core/fleet/report.ts';
import {
  type ClusterItems,
  clusterRunReportOutput,
  REPORT_OUTPUT_BYTES,
  STORED_ITEM_BYTES,
} from '../../../functions/core/run-output.ts';
import { reportFleet } from '../../../functions/fleet/report-fleet/report-fleet.ts';

const counts = (created: number, failed = 0) => ({
  created,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  skipped: 0,
  failed,
});

function report(
  iterations: Parameters<typeof buildFleetReport>[0]['iterations'],
  dryRun = false,
  items: ReadonlyMap<string, ClusterItems<ItemResult>> = new Map(),
) {
  return buildFleetReport({
    runId: 'run-1',
    dryRun,
    source: 's3://configs/fleet/apps.yaml',
    selector: 'names prod-*',
    iterations,
    items,
    warnings: [],
    reportLocation: 's3://configs/runs/run-1/fleet-report.json',
  });
}

const done = (clusterName: string, created: number, failed = 0) => ({
  clusterName,
  associations: {
    counts: counts(created, failed),
    reportLocation: `s3://configs/runs/${clusterName}/report.json`,
    warningCount: 1,
    executionArn: `arn:${clusterName}`,
  },
});

describe('buildFleetReport', () => {
  it("adds the clusters' counts and names the clusters whose run or items failed", () => {
    const built = report([
      done('prod-a', 2),
      done('prod-b', 1, 1),
      {
        clusterName: 'prod-c',
        failure: {
          Error: 'States.TaskFailed',
          Cause: JSON.stringify({ Error: 'AgentMissingError', Cause: 'install the agent' }),
        },
      },
    ]);
    assert.deepEqual(built.clusterCounts, { selected: 3, succeeded: 1, failed: 2 });
    assert.deepEqual(built.counts, counts(3, 1));
    assert.deepEqual(
      built.clusters.map((cluster) => [cluster.clusterName, cluster.result, cluster.reason]),
      [
        ['prod-a', 'succeeded', null],
        ['prod-b', 'failed', '1 association failed; see s3://configs/runs/prod-b/report.json'],
        ['prod-c', 'failed', 'AgentMissingError: install the agent'],
      ],
    );
    assert.deepEqual(built.warnings, [
      'prod-a: 1 warning; see s3://configs/runs/prod-a/report.json',
      'prod-b: 1 warning; see s3://configs/runs/prod-b/report.json',
    ]);
    assert.match(built.nextSteps[0] ?? '', /prod-b, prod-c/);
  });

  it('keeps a cause that is not a child execution as given, and says when nothing matched', () => {
    const built = report([
      { clusterName: 'x', failure: { Error: 'States.Timeout', Cause: 'late' } },
    ]);
    assert.equal(built.clusters[0]?.reason, 'States.Timeout: late');
    assert.match(report([]).nextSteps[0] ?? '', /no cluster matched names prod-\*/);
    assert.match(report([done('a', 1)], true).nextSteps[0] ?? '', /dry run/);
  });

  it('fits the output with the failed clusters first when there are very many', () => {
    const many = Array.from({ length: 3000 }, (_, index) =>
      index === 2999
        ? { clusterName: `c${index}`, failure: { Error: 'E', Cause: 'x'.repeat(100) } }
        : done(`c${index}`, 1),
    );
    const output = clusterRunReportOutput(report(many));
    assert.ok((output.omittedClusters ?? 0) > 0);
    assert.equal(output.clusters[0]?.clusterName, 'c2999');
    assert.ok(Buffer.byteLength(JSON.stringify(output)) <= 200 * 1024);
  });
});

/** An item of a cluster's dry run, as its nested run's report lists it. */
function planned(
  serviceAccount: string,
  result: ItemResult['result'] = 'created',
  reason = `pod identity association for service account "default/${serviceAccount}" does not exist; it will be created`,
): ItemResult {
  return {
    namespace: 'default',
    serviceAccount,
    action: result === 'unchanged' ? 'unchanged' : 'create',
    result,
    reason,
    ...(result === 'created'
      ? {
          steps: [
            `create pod identity association for service account "default/${serviceAccount}"`,
          ],
        }
      : {}),
  };
}

/** reportFleet over `clusters` (those named in `failing` failed), each nested report listing `items`. */
async function fleetRun(
  clusters: readonly string[],
  items: (clusterName: string) => ItemResult[],
  failing: readonly string[] = [],
) {
  const saved: FleetReport[] = [];
  const read: string[] = [];
  const output = await reportFleet(
    {
      runId: 'run-1',
      run: {
        selected: { dryRun: true, source: 'the inline fleet config', selector: 's', warnings: [] },
        results: clusters.map((clusterName) => ({ clusterName })),
      },
    },
    {
      loadOutcome: async (_runId, clusterName) =>
        failing.includes(clusterName)
          ? { clusterName, failure: { Error: 'AgentMissingError', Cause: 'no agent' } }
          : done(clusterName, 1),
      loadClusterReport: async (location) => {
        read.push(location);
        return { items: items(/runs\/([^/]+)\//.exec(location)?.[1] ?? '') };
      },
      saveReport: async (_runId, value) => {
        saved.push(value);
        return value.reportLocation;
      },
      reportLocation: () => 's3://configs/runs/run-1/fleet-report.json',
      publish: async () => {},
    },
  );
  const [stored] = saved;
  assert.ok(stored);
  return { output, stored, read };
}

const itemsOf = (report: Pick<FleetReport, 'clusters'>) =>
  report.clusters.map((cluster) => [
    cluster.clusterName,
    cluster.items.map((item) => `${item.serviceAccount} ${item.result}`),
  ]);

describe('the fleet plan', () => {
  it("lists each completed cluster's items, with their steps, under it in the stored report and the output", async () => {
    const { output, stored, read } = await fleetRun(
      ['prod-a', 'prod-b', 'prod-c'],
      (clusterName) =>
        clusterName === 'prod-a' ? [planned('web'), planned('api', 'unchanged')] : [planned('web')],
      ['prod-c'],
    );
    const expected = [
      ['prod-a', ['web created', 'api unchanged']],
      ['prod-b', ['web created']],
      ['prod-c', []],
    ];
    assert.deepEqual(itemsOf(stored), expected);
    assert.deepEqual(itemsOf(output), expected);
    assert.deepEqual(output.clusters[0]?.items[0]?.steps, [
      'create pod identity association for service account "default/web"',
    ]);
    // prod-c's run failed: it left no report to read.
    assert.deepEqual(read, [
      's3://configs/runs/prod-a/report.json',
      's3://configs/runs/prod-b/report.json',
    ]);
  });

  it("lists the other clusters' items when one cluster's report cannot be read, saying why for that one", async () => {
    const { stored } = await fleetRun(['prod-a', 'prod-b'], (clusterName) => {
      if (clusterName === 'prod-b') throw new Error('SlowDown: Please reduce your request rate.');
      return [planned('web')];
    });
    assert.deepEqual(itemsOf(stored), [
      ['prod-a', ['web created']],
      ['prod-b', []],
    ]);
    assert.equal(stored.clusters[1]?.itemsUnread, 'SlowDown: Please reduce your request rate.');
    assert.equal(stored.clusters[0]?.itemsUnread, undefined);
  });

  it('keeps every cluster in the output and shares the room left among their items, failed and changing ones first', () => {
    const names = Array.from({ length: 20 }, (_, index) => `c${index}`);
    const long = 'x'.repeat(300);
    const items = [
      ...Array.from({ length: 150 }, (_, index) => planned(`same-${index}`, 'unchanged', long)),
      planned('broken', 'failed', long),
      ...Array.from({ length: 49 }, (_, index) => planned(`new-${index}`, 'created', long)),
    ];
    const built = report(
      names.map((name) => done(name, 49)),
      true,
      new Map(names.map((name) => [name, { items }])),
    );
    const output = clusterRunReportOutput(built);
    assert.ok(Buffer.byteLength(JSON.stringify(output)) <= REPORT_OUTPUT_BYTES);
    assert.equal(output.omittedClusters, undefined);
    assert.equal(output.clusters.length, 20);
    let omitted = 0;
    for (const cluster of output.clusters) {
      assert.equal(cluster.items.length + (cluster.itemsOmitted ?? 0), 200, cluster.clusterName);
      // Room for about 25 items of each cluster: the failed one, then those that change something.
      assert.ok(cluster.items.length > 10 && cluster.items.length < 50, cluster.clusterName);
      assert.deepEqual(
        cluster.items.map((item) => item.result),
        ['failed', ...Array(cluster.items.length - 1).fill('created')],
      );
      omitted += cluster.itemsOmitted ?? 0;
    }
    assert.ok(omitted > 0);
    assert.equal(output.omittedItems, omitted);
    // The stored report keeps them all.
    assert.equal(built.clusters[0]?.items.length, 200);
  });

  it("stores each cluster's equal share of the report's room for items, however many the clusters have", async () => {
    const clusters = Array.from({ length: 600 }, (_, index) => `c${index}`);
    const items = [
      planned('same', 'unchanged', 'x'.repeat(STORED_ITEM_BYTES / clusters.length)),
      planned('new', 'created'),
    ];
    const { stored } = await fleetRun(clusters, () => items);
    const share = STORED_ITEM_BYTES / clusters.length;
    assert.ok(Buffer.byteLength(JSON.stringify(items)) > share);
    for (const cluster of stored.clusters) {
      assert.deepEqual(
        [cluster.items.map((item) => item.serviceAccount), cluster.itemsOmitted],
        [['new'], 1],
      );
    }
  });
});

describe('clusterOutcome', () => {
  it("keeps a failed nested run's own error and a bounded cause, and the rest of the iteration", () => {
    const childCause = `check failed: ${'x'.repeat(10_000)}`;
    const kept = clusterOutcome('prod-a', {
      clusterName: 'ignored',
      dryRun: false,
      failure: {
        Error: 'States.TaskFailed',
        Cause: JSON.stringify({ Error: 'AgentMissingError', Cause: childCause, Input: '{}' }),
      },
    });
    assert.equal(kept.clusterName, 'prod-a');
    assert.equal(kept.dryRun, false);
    const failure = kept.failure as { Error: string; Cause: string };
    assert.equal(failure.Error, 'AgentMissingError');
    assert.equal(failure.Cause, `${childCause.slice(0, KEPT_CAUSE_CHARACTERS)}… (cut)`);
    assert.deepEqual(clusterOutcome('prod-b', { associations: { counts: {} } }), {
      associations: { counts: {} },
      clusterName: 'prod-b',
    });
  });
});
