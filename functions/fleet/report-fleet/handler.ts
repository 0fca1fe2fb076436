import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { configBucket, putRunDocument } from '../../aws/run-store.ts';
import { FLEET_DOCUMENTS, runDocumentKey } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { reportFleet } from './report-fleet.ts';

export const handler = defineTask('report-fleet', { input, output }, (event) =>
  reportFleet(event, {
    saveReport: (runId, report) => putRunDocument(runId, FLEET_DOCUMENTS.report, report),
    reportLocation: (runId) =>
      `s3://${configBucket()}/${runDocumentKey(runId, FLEET_DOCUMENTS.report.name)}`,
    publish: publishRunCompleted,
  }),
);
