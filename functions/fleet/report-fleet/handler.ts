import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { putRunDocument, runDocumentLocation } from '../../aws/run-store.ts';
import { FLEET_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { reportFleet } from './report-fleet.ts';

export const handler = defineTask('report-fleet', { input, output }, (event) =>
  reportFleet(event, {
    saveReport: (runId, report) => putRunDocument(runId, FLEET_DOCUMENTS.report, report),
    reportLocation: (runId) => runDocumentLocation(runId, FLEET_DOCUMENTS.report).uri,
    publish: publishRunCompleted,
  }),
);
