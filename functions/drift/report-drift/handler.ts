import { clusterRunReportDeps } from '../../aws/cluster-run-report.ts';
import { defineTask } from '../../aws/lambda.ts';
import { recordDriftedItems } from '../../aws/metrics.ts';
import { DRIFT_WORKFLOW } from '../../core/drift/report.ts';
import { DRIFT_DOCUMENTS } from '../../core/run-documents.ts';
import { input, outcome, output } from './contract.ts';
import { reportDrift } from './report-drift.ts';

export const handler = defineTask('report-drift', { input, output }, async (event) => {
  const report = await reportDrift(event, clusterRunReportDeps(DRIFT_DOCUMENTS.report, outcome));
  recordDriftedItems(DRIFT_WORKFLOW, report.driftedItems);
  return report;
});
