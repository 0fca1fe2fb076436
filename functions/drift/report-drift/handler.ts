import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { recordDriftedItems } from '../../aws/metrics.ts';
import { findRunDocument, putRunDocument, runDocumentLocation } from '../../aws/run-store.ts';
import { DRIFT_WORKFLOW } from '../../core/drift/report.ts';
import { CLUSTER_RUN_DOCUMENTS, DRIFT_DOCUMENTS } from '../../core/run-documents.ts';
import { input, outcome, output } from './contract.ts';
import { reportDrift } from './report-drift.ts';

export const handler = defineTask('report-drift', { input, output }, async (event) => {
  const report = await reportDrift(event, {
    saveReport: (runId, report) => putRunDocument(runId, DRIFT_DOCUMENTS.report, report),
    reportLocation: (runId) => runDocumentLocation(runId, DRIFT_DOCUMENTS.report).uri,
    publish: publishRunCompleted,
    loadOutcome: (runId, clusterName) =>
      findRunDocument(
        runId,
        CLUSTER_RUN_DOCUMENTS.outcome(clusterName, () => outcome),
      ),
  });
  recordDriftedItems(DRIFT_WORKFLOW, report.driftedItems);
  return report;
});
