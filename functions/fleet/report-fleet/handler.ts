import { clusterRunReportDeps } from '../../aws/cluster-run-report.ts';
import { defineTask } from '../../aws/lambda.ts';
import { FLEET_DOCUMENTS } from '../../core/run-documents.ts';
import { input, outcome, output } from './contract.ts';
import { reportFleet } from './report-fleet.ts';

export const handler = defineTask('report-fleet', { input, output }, (event) =>
  reportFleet(event, clusterRunReportDeps(FLEET_DOCUMENTS.report, outcome)),
);
