import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportAssociations } from '../../../functions/associations/report-associations/report-associations.ts';
import type { UndeclaredAssociation } from '../../../functions/core/associations/run-plan.ts';
import { jsonBytes, REPORT_OUTPUT_BYTES } from '../../../functions/core/run-output.ts';

const undeclared: UndeclaredAssociation[] = Array.from({ length: 4000 }, (_, index) => ({
  namespace: 'team-with-a-rather-long-namespace-name',
  serviceAccount: `service-account-${index}`,
  associationId: `a-${String(index).padStart(17, '0')}`,
  createdByEksPia: index % 2 === 0,
}));

describe('reportAssociations', () => {
  it('cuts undeclared associations to fit the output and counts them apart from the items', async () => {
    let saved: unknown;
    const report = await reportAssociations(
      {
        runId: 'run-1',
        clusterName: 'demo',
        region: 'us-west-2',
        operation: 'apply',
        dryRun: true,
        prune: false,
        source: 'inline',
        warnings: [],
        plan: { undeclared: undeclared.length },
        batchResults: [{ batch: 0 }],
      },
      {
        loadBatchItems: async () => [],
        loadResults: async () => [
          { namespace: 'payments', serviceAccount: 'api', action: 'create', result: 'created' },
        ],
        loadUndeclared: async () => undeclared,
        saveReport: async (_runId, whole) => {
          saved = whole;
          return 's3://configs/runs/run-1/report.json';
        },
        publish: async () => undefined,
      },
    );
    assert.equal(report.undeclaredCount, 4000);
    // Counted over every undeclared association, not only those the output keeps.
    assert.equal(report.foreignUndeclaredCount, 2000);
    assert.equal(report.items.length, 1);
    assert.equal(report.itemsOmitted, undefined);
    assert.ok(report.undeclaredOmitted !== undefined && report.undeclaredOmitted > 0);
    assert.equal((report.undeclared ?? []).length + (report.undeclaredOmitted ?? 0), 4000);
    assert.ok(jsonBytes(report) <= REPORT_OUTPUT_BYTES + 1024);
    assert.equal((saved as { undeclared: unknown[] }).undeclared.length, 4000);
  });
});
