import { publishRunCompleted } from '../../aws/events.ts';
import { defineTask } from '../../aws/lambda.ts';
import { findRunDocument, putRunDocument, runDocumentLocation } from '../../aws/run-store.ts';
import { CLUSTER_RUN_DOCUMENTS, FLEET_DOCUMENTS } from '../../core/run-documents.ts';
import { input, outcome, output } from './contract.ts';
import { reportFleetMigration } from './report-fleet-migration.ts';

export const handler = defineTask('report-fleet-migration', { input, output }, (event) =>
  reportFleetMigration(event, {
    saveReport: (runId, report) => putRunDocument(runId, FLEET_DOCUMENTS.migrationReport, report),
    reportLocation: (runId) => runDocumentLocation(runId, FLEET_DOCUMENTS.migrationReport).uri,
    publish: publishRunCompleted,
    loadOutcome: (runId, clusterName) =>
      findRunDocument(
        runId,
        CLUSTER_RUN_DOCUMENTS.outcome(clusterName, () => outcome),
      ),
  }),
);
