import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildFleetReport,
  clusterOutcome,
  KEPT_CAUSE_CHARACTERS,
} from '../../../functions/core/fleet/report.ts';
import { clusterRunReportOutput } from '../../../functions/core/run-output.ts';

const counts = (created: number, failed = 0) => ({
  created,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  skipped: 0,
  failed,
});

function report(iterations: Parameters<typeof buildFleetReport>[0]['iterations'], dryRun = false) {
  return buildFleetReport({
    runId: 'run-1',
    dryRun,
    source: 's3://configs/fleet/apps.yaml',
    selector: 'names prod-*',
    iterations,
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
