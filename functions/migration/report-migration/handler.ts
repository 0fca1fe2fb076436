import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { recordFailedItems } from '../../aws/metrics.ts';
import { findRunDocument, getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { MIGRATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { reportMigration } from './report-migration.ts';

export const handler = defineTask('report-migration', { input, output }, async (event) => {
  const report = await reportMigration(event, {
    loadPlan: (runId) => getRunDocument(runId, MIGRATION_DOCUMENTS.plan),
    loadAddonOutcomes: (runId) => findRunDocument(runId, MIGRATION_DOCUMENTS.addons),
    loadOutcomes: (runId, step, batch) =>
      findRunDocument<unknown[]>(runId, MIGRATION_DOCUMENTS[step](batch)),
    saveReport: (runId, report) => putRunDocument(runId, MIGRATION_DOCUMENTS.report, report),
    publish: publishRunCompleted,
  });
  recordFailedItems(
    'migrate-to-pod-identity',
    report.counts.serviceAccounts.failed + report.counts.roles.failed,
  );
  return report;
});
