import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordDesiredState } from '../../../functions/associations/record-desired-state/record-desired-state.ts';
import type { ItemResult } from '../../../functions/core/associations/report.ts';
import { parseWorkflowInput } from '../../../functions/core/associations/request.ts';
import type { ClusterConfig } from '../../../functions/core/config/index.ts';
import {
  clusterOfDesiredRunKey,
  type DesiredRun,
  desiredConfigKey,
} from '../../../functions/core/desired-state.ts';
import {
  buildDriftReport,
  type DriftReport,
  driftedItems,
} from '../../../functions/core/drift/report.ts';
import { UnknownClusterError } from '../../../functions/core/fleet/fleet-config.ts';
import { listDesiredClusters } from '../../../functions/drift/list-desired-clusters/list-desired-clusters.ts';
import { reportDrift } from '../../../functions/drift/report-drift/report-drift.ts';

const counts = (created: number, updated = 0, deleted = 0, failed = 0) => ({
  created,
  updated,
  deleted,
  unchanged: 0,
  skipped: 0,
  failed,
});

describe('desired state keys', () => {
  it('names the cluster of a run record, and nothing else under desired/', () => {
    assert.equal(clusterOfDesiredRunKey('desired/prod-a/run.json'), 'prod-a');
    assert.equal(clusterOfDesiredRunKey(desiredConfigKey('prod-a')), undefined);
    assert.equal(clusterOfDesiredRunKey('desired/a/b/run.json'), undefined);
    assert.equal(clusterOfDesiredRunKey('runs/a/run.json'), undefined);
  });
});

describe('recordDesiredState', () => {
  const config = { metadata: { name: 'demo' } } as unknown as ClusterConfig;
  const recorder = () => {
    const saved: { cluster: string; run: DesiredRun }[] = [];
    return {
      saved,
      deps: {
        parseInput: parseWorkflowInput,
        readConfig: async () => config,
        saveDesiredState: async (cluster: string, _config: ClusterConfig, run: DesiredRun) => {
          saved.push({ cluster, run });
          return `s3://bucket/${desiredConfigKey(cluster)}`;
        },
      },
    };
  };

  it('records an apply of a config with the scope and prune it ran with', async () => {
    const { saved, deps } = recorder();
    const result = await recordDesiredState(
      {
        runId: 'run-1',
        clusterName: 'demo',
        input: { operation: 'apply', config: { inline: {} }, scope: 'associations', prune: true },
      },
      deps,
    );
    assert.equal(result.recorded, 's3://bucket/desired/demo/config.json');
    assert.deepEqual(saved, [
      { cluster: 'demo', run: { scope: 'associations', prune: true, runId: 'run-1' } },
    ]);
  });

  it('records nothing for a dry run or another operation', async () => {
    const { saved, deps } = recorder();
    for (const input of [
      { operation: 'apply', config: { inline: {} }, dryRun: true },
      { operation: 'create', config: { inline: {} } },
    ]) {
      assert.deepEqual(await recordDesiredState({ runId: 'r', clusterName: 'demo', input }, deps), {
        recorded: null,
      });
    }
    assert.deepEqual(saved, []);
  });
});

describe('listDesiredClusters', () => {
  const deps = (tags: Record<string, Record<string, string> | undefined>) => ({
    bucket: 'configs',
    deploymentRegion: 'us-west-2',
    listKeys: async () => [
      'desired/prod-b/run.json',
      'desired/prod-b/config.json',
      'desired/dev-a/run.json',
      'desired/prod-a/run.json',
      'desired/README.md',
    ],
    readRun: async (): Promise<DesiredRun> => ({ scope: 'all', prune: false, runId: 'r' }),
    clusterTags: async (name: string) => tags[name],
  });

  it('lists every recorded cluster, or those the selector matches', async () => {
    const all = await listDesiredClusters({}, deps({}));
    assert.deepEqual(
      all.clusters.map((cluster) => cluster.clusterName),
      ['dev-a', 'prod-a', 'prod-b'],
    );
    assert.deepEqual(all.clusters[0]?.config, {
      bucket: 'configs',
      key: 'desired/dev-a/config.json',
    });
    assert.equal(all.heal, false);

    const byTags = await listDesiredClusters(
      { clusters: 'tag:env=prod', heal: true },
      deps({ 'prod-a': { env: 'prod' }, 'prod-b': undefined, 'dev-a': { env: 'dev' } }),
    );
    assert.deepEqual(
      byTags.clusters.map((cluster) => cluster.clusterName),
      ['prod-a'],
    );
    assert.equal(byTags.heal, true);
  });

  it('refuses a named cluster that is not managed, saying whether it exists at all, before reading a desired state', async () => {
    const described: string[] = [];
    const read: string[] = [];
    const refusing = {
      ...deps({ 'staging-1': {} }),
      clusterTags: async (name: string) => {
        described.push(name);
        return name === 'staging-1' ? {} : undefined;
      },
      readRun: async (name: string): Promise<DesiredRun> => {
        read.push(name);
        return { scope: 'all', prune: false, runId: 'r' };
      },
    };
    await assert.rejects(
      listDesiredClusters({ clusters: 'prod-a,prod-aa,staging-1,nope' }, refusing),
      (error: unknown) =>
        error instanceof UnknownClusterError &&
        error.message.includes(
          '3 named clusters are not managed: "prod-aa" (no cluster of that name in region us-west-2; did you mean "prod-a"?), "staging-1" (a cluster of region us-west-2, but no apply of a config was recorded for it) and "nope" (no cluster of that name in region us-west-2). Managed clusters: dev-a, prod-a and prod-b. Nothing was checked',
        ),
    );
    assert.deepEqual(described.sort(), ['nope', 'prod-aa', 'staging-1']);
    assert.deepEqual(read, []);
  });

  it('checks a named managed cluster its tags leave out, saying why; warns of a pattern matching no managed cluster', async () => {
    const guarded = await listDesiredClusters(
      { clusters: 'prod-a,prod-b,tag:env=prod' },
      deps({ 'prod-a': { env: 'prod' }, 'prod-b': { env: 'dev' }, 'dev-a': { env: 'dev' } }),
    );
    assert.deepEqual(
      guarded.clusters.map((cluster) => cluster.clusterName),
      ['prod-a'],
    );
    assert.deepEqual(guarded.warnings, [
      'prod-b is named in the selector but left out: its tag env is "dev", not "prod"',
    ]);

    const typo = await listDesiredClusters({ clusters: 'prdo-*' }, deps({}));
    assert.deepEqual(typo.clusters, []);
    assert.match(
      typo.warnings[0] ?? '',
      /namePattern "prdo-\*" matches no name among the 3 managed clusters/,
    );
  });

  it('refuses an input it cannot read, saying which field', async () => {
    for (const [input, pattern] of [
      [{ heal: 'yes' }, /heal/],
      [{ clusters: 'a-*,b-*' }, /2 name patterns/],
      [{ cluster: 'a' }, /unknown field/],
    ] as const) {
      await assert.rejects(listDesiredClusters(input, deps({})), pattern);
    }
  });
});

describe('buildDriftReport', () => {
  it('tells clusters in sync, drifted, healed and failed apart', () => {
    const report = buildDriftReport({
      runId: 'r',
      heal: true,
      selector: 'every managed cluster',
      reportLocation: 's3://configs/runs/r/drift-report.json',
      items: new Map(),
      iterations: [
        { clusterName: 'a', check: { counts: counts(0), reportLocation: 'ca', undeclared: 0 } },
        { clusterName: 'b', check: { counts: counts(1, 2), reportLocation: 'cb', undeclared: 0 } },
        {
          clusterName: 'c',
          check: { counts: counts(0, 1), reportLocation: 'cc', undeclared: 0 },
          healed: { counts: counts(0, 1), reportLocation: 'hc' },
        },
        {
          clusterName: 'd',
          check: { counts: counts(0, 1), reportLocation: 'cd', undeclared: 0 },
          healed: { counts: counts(0, 0, 0, 1), reportLocation: 'hd' },
        },
        { clusterName: 'e', failure: { Error: 'States.TaskFailed', Cause: 'gone' } },
        {
          clusterName: 'f',
          check: { counts: counts(0, 1), reportLocation: 'cf', undeclared: 2 },
          healed: { counts: counts(0, 1), reportLocation: 'hf' },
        },
        { clusterName: 'g', check: { counts: counts(0), reportLocation: 'cg', undeclared: 1 } },
      ],
    });
    assert.deepEqual(
      report.clusters.map((cluster) => cluster.result),
      ['in sync', 'drifted', 'healed', 'failed', 'failed', 'drifted', 'drifted'],
    );
    assert.deepEqual(report.clusters[5]?.drift, {
      created: 0,
      updated: 1,
      deleted: 0,
      undeclared: 2,
    });
    assert.deepEqual(report.clusterCounts, {
      checked: 7,
      inSync: 1,
      drifted: 3,
      healed: 1,
      failed: 2,
    });
    // Associations nobody declared are drift whatever the recorded apply's prune.
    assert.equal(report.driftedItems, 9);
    assert.equal(report.clusters[6]?.drift?.undeclared, 1);
    assert.match(report.clusters[3]?.reason ?? '', /could not be healed; see hd/);
    assert.match(report.clusters[4]?.reason ?? '', /the check failed: States.TaskFailed: gone/);
    // f was healed but for its undeclared associations, which heal leaves alone: no heal advice
    // for f, nor for g, whose only drift is undeclared.
    assert.match(report.nextSteps[0] ?? '', /^b differ/);
    assert.match(
      report.nextSteps[1] ?? '',
      /^f, g have associations nobody declared: made by hand or by another tool.*heal leaves them alone/,
    );
    assert.equal(report.nextSteps.length, 2);
  });
});

describe('the drifted items', () => {
  const item = (serviceAccount: string, result: ItemResult['result'], steps: string[] = []) => ({
    namespace: 'default',
    serviceAccount,
    action: 'create' as const,
    result,
    reason: `${serviceAccount} is ${result}`,
    ...(steps.length > 0 ? { steps } : {}),
  });
  const check = {
    items: [
      item('web', 'created', ['create pod identity association for service account "default/web"']),
      item('same', 'unchanged'),
      item('api', 'updated', ['update role of "default/api"']),
      item('old', 'deleted', ['delete pod identity association "default/old"']),
      item('odd', 'failed'),
      item('left', 'skipped'),
    ],
    undeclared: [
      {
        namespace: 'kube-system',
        serviceAccount: 'byhand',
        associationId: 'a-1',
        createdByEksPia: false,
      },
      // Made by an eks-pia run: another config of the cluster may declare it, so it is no drift.
      { namespace: 'default', serviceAccount: 'ours', associationId: 'a-2', createdByEksPia: true },
    ],
  };

  it("are the check's items that are not in sync, with their kind and steps, then the associations nobody declared", () => {
    assert.deepEqual(
      driftedItems(check).map((drifted) => [drifted.serviceAccount, drifted.drift, drifted.steps]),
      [
        ['web', 'missing', ['create pod identity association for service account "default/web"']],
        ['api', 'changed', ['update role of "default/api"']],
        ['old', 'to prune', ['delete pod identity association "default/old"']],
        ['odd', 'unchecked', undefined],
        ['byhand', 'undeclared', undefined],
      ],
    );
    assert.match(
      driftedItems(check)[4]?.reason ?? '',
      /"kube-system\/byhand" \(a-1\) was made by hand or by another tool and is in no entry of the config; heal leaves it alone/,
    );
  });

  it("are listed under each checked cluster in the stored drift report, read from the cluster's check report", async () => {
    const saved: DriftReport[] = [];
    const output = await reportDrift(
      {
        runId: 'r',
        run: {
          heal: false,
          selector: 'every managed cluster',
          warnings: [],
          results: [{ clusterName: 'a' }, { clusterName: 'b' }, { clusterName: 'c' }],
        },
      },
      {
        loadOutcome: async (_runId, clusterName) =>
          clusterName === 'c'
            ? { clusterName, failure: { Error: 'States.TaskFailed', Cause: 'gone' } }
            : {
                clusterName,
                check: {
                  counts: counts(clusterName === 'a' ? 1 : 0, 1, 1, 1),
                  reportLocation: `s3://configs/runs/check-${clusterName}/report.json`,
                  undeclared: 1,
                },
              },
        loadClusterReport: async (location) =>
          location.includes('check-a') ? check : { items: [item('same', 'unchanged')] },
        saveReport: async (_runId, report) => {
          saved.push(report);
          return report.reportLocation;
        },
        reportLocation: () => 's3://configs/runs/r/drift-report.json',
        publish: async () => {},
      },
    );
    const listed = (report: Pick<DriftReport, 'clusters'>) =>
      report.clusters.map((cluster) => [
        cluster.clusterName,
        cluster.items.map((drifted) => `${drifted.drift} ${drifted.serviceAccount}`),
      ]);
    const expected = [
      ['a', ['missing web', 'changed api', 'to prune old', 'unchecked odd', 'undeclared byhand']],
      ['b', []],
      ['c', []],
    ];
    assert.deepEqual(listed(saved[0] ?? { clusters: [] }), expected);
    assert.deepEqual(listed(output), expected);
  });
});
