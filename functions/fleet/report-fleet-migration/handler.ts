import { clusterRunReportDeps } from '../../aws/cluster-run-report.ts';
import { defineTask } from '../../aws/lambda.ts';
import { FLEET_DOCUMENTS } from '../../core/run-documents.ts';
import { input, outcome, output } from './contract.ts';
import { reportFleetMigration } from './report-fleet-migration.ts';

export const handler = defineTask('report-fleet-migration', { input, output }, (event) =>
  reportFleetMigration(event, clusterRunReportDeps(FLEET_DOCUMENTS.migrationReport, outcome)),
);
