import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { recordFailedItems } from '../../aws/metrics.ts';
import { findRunDocument, getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import type { AddonMigrationResult } from '../../core/migration/addons.ts';
import { RUN_DOCUMENTS } from '../../core/migration/outcomes.ts';
import type { MigrationPlan } from '../../core/migration/plan.ts';
import { input, output } from './contract.ts';
import { reportMigration } from './report-migration.ts';

export const handler = defineTask('report-migration', { input, output }, async (event) => {
  const report = await reportMigration(event, {
    loadPlan: (runId) => getRunDocument<MigrationPlan>(runId, RUN_DOCUMENTS.plan),
    loadAddonOutcomes: (runId) =>
      findRunDocument<AddonMigrationResult[]>(runId, RUN_DOCUMENTS.addons),
    loadOutcomes: (runId, step, batch) =>
      findRunDocument<unknown[]>(runId, RUN_DOCUMENTS[step](batch)),
    saveReport: (runId, report) => putRunDocument(runId, RUN_DOCUMENTS.report, report),
    publish: publishRunCompleted,
  });
  recordFailedItems(
    'migrate-to-pod-identity',
    report.counts.serviceAccounts.failed + report.counts.roles.failed,
  );
  return report;
});
