import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { putRunDocument, runDocumentLocation } from '../../../functions/aws/run-store.ts';
import type { FleetReport } from '../../../functions/core/fleet/report.ts';
import { FLEET_DOCUMENTS } from '../../../functions/core/run-documents.ts';
import { inCliTerms, withWholeClusterReport } from '../../../local/cli/render.ts';
import { ACCOUNT, type Simulated, simulate, WORLD_HEADER } from '../aws/simulated.ts';

describe('messages in the CLI’s terms', () => {
  it('names the flags a person typed where the workflow names its input fields', () => {
    assert.equal(
      inCliTerms('Migrate it with eksctl, or run again with allowStackDrift to change its trust'),
      'Migrate it with eksctl, or run again with --allow-stack-drift to change its trust',
    );
    assert.equal(
      inCliTerms(
        'flags was rejected as a whole and nothing was changed: association.permissionPolicyARNs[0]: denied',
      ),
      'the flags were rejected as a whole and nothing was changed: --permission-policy-arns: denied',
    );
    assert.equal(inCliTerms('run again without dryRun'), 'run again without --dry-run');
  });

  it('leaves words that only contain a field name alone', () => {
    const text = 'the role dryRunner and clusterNames stay as written';
    assert.equal(inCliTerms(text), text);
  });
});

describe('a report over clusters that its output cut', () => {
  const BUCKET = `eks-pia-configs-${ACCOUNT}`;
  let simulated: Simulated;
  let previousBucket: string | undefined;
  before(async () => {
    simulated = await simulate(`${WORLD_HEADER}buckets: [{name: ${BUCKET}, objects: {}}]\n`);
    previousBucket = process.env.CONFIG_BUCKET;
    process.env.CONFIG_BUCKET = BUCKET;
  });
  after(async () => {
    if (previousBucket === undefined) delete process.env.CONFIG_BUCKET;
    else process.env.CONFIG_BUCKET = previousBucket;
    await simulated.stop();
  });

  const item = (serviceAccount: string) => ({
    namespace: 'default',
    serviceAccount,
    action: 'create' as const,
    result: 'created' as const,
  });
  const whole = (reportLocation: string): FleetReport => ({
    workflow: 'fleet-associations',
    runId: 'run-1',
    dryRun: true,
    source: 'the inline fleet config',
    selector: 'names prod-*',
    clusterCounts: { selected: 1, succeeded: 1, failed: 0 },
    counts: { created: 2, updated: 0, deleted: 0, unchanged: 0, skipped: 0, failed: 0 },
    clusters: [
      {
        clusterName: 'prod-a',
        result: 'succeeded',
        counts: { created: 2, updated: 0, deleted: 0, unchanged: 0, skipped: 0, failed: 0 },
        reportLocation: `s3://${BUCKET}/runs/child/report.json`,
        reason: null,
        items: [item('web'), item('api')],
      },
    ],
    reportLocation,
    warnings: [],
    nextSteps: [],
  });
  const cut = (report: FleetReport) => ({
    ...report,
    clusters: report.clusters.map((cluster) => ({
      ...cluster,
      items: cluster.items.slice(0, 1),
      itemsOmitted: 1,
    })),
    omittedItems: 1,
  });

  it('is read whole from the run store, so the command shows every item', async () => {
    const stored = whole(runDocumentLocation('run-1', FLEET_DOCUMENTS.report).uri);
    await putRunDocument('run-1', FLEET_DOCUMENTS.report, stored);
    assert.deepEqual(await withWholeClusterReport(cut(stored)), stored);
    // Nothing left out: the output as it is, with no read.
    const calls = simulated.sim.calls.length;
    assert.equal(await withWholeClusterReport(stored), stored);
    assert.equal(simulated.sim.calls.length, calls);
  });

  it('is shown as it came when the whole report cannot be read, saying what it leaves out and where', async () => {
    const missing = `s3://${BUCKET}/runs/gone/fleet-report.json`;
    const shown = (await withWholeClusterReport(cut(whole(missing)))) as FleetReport;
    assert.deepEqual(
      shown.clusters.map((cluster) => cluster.items.length),
      [1],
    );
    assert.match(
      shown.warnings.at(-1) ?? '',
      new RegExp(
        `^this output leaves out 1 item, which ${missing} holds, and reading it failed: run document .* is missing`,
      ),
    );
  });
});
