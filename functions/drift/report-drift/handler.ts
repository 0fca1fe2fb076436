import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { recordDriftedItems } from '../../aws/metrics.ts';
import { configBucket, putRunDocument } from '../../aws/run-store.ts';
import { DRIFT_WORKFLOW } from '../../core/drift/report.ts';
import { DRIFT_DOCUMENTS, runDocumentKey } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { reportDrift } from './report-drift.ts';

export const handler = defineTask('report-drift', { input, output }, async (event) => {
  const report = await reportDrift(event, {
    saveReport: (runId, report) => putRunDocument(runId, DRIFT_DOCUMENTS.report, report),
    reportLocation: (runId) =>
      `s3://${configBucket()}/${runDocumentKey(runId, DRIFT_DOCUMENTS.report.name)}`,
    publish: publishRunCompleted,
  });
  recordDriftedItems(DRIFT_WORKFLOW, report.driftedItems);
  return report;
});
