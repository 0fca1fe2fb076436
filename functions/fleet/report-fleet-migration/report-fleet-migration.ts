import {
  buildFleetMigrationReport,
  type FleetMigrationIteration,
  type FleetMigrationReport,
} from '../../core/fleet/fleet-migration.ts';
import { failedClusters } from '../../core/fleet/report.ts';
import { type ClusterRunReportDeps, keepAndAnnounce } from '../../core/run-output.ts';

export interface ReportFleetMigrationInput {
  runId: string;
  run: {
    selector: string;
    migration: { approve: boolean; removeOidcProviderTrustRelationship: boolean };
    warnings: string[];
    results: FleetMigrationIteration[];
  };
}

/**
 * Builds the fleet migration's report from each cluster's outcome, stores it whole, announces the
 * run on EventBridge and returns it cut to fit the execution's output.
 */
export function reportFleetMigration(
  input: ReportFleetMigrationInput,
  deps: ClusterRunReportDeps<FleetMigrationReport>,
) {
  const { run } = input;
  const report = buildFleetMigrationReport({
    runId: input.runId,
    selector: run.selector,
    migration: run.migration,
    iterations: run.results,
    warnings: run.warnings,
    reportLocation: deps.reportLocation(input.runId),
  });
  return keepAndAnnounce(report, deps, {
    approve: report.approve,
    selector: report.selector,
    clusterCounts: report.clusterCounts,
    counts: report.counts,
    failedClusters: failedClusters(report),
  });
}
