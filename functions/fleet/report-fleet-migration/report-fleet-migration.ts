import {
  buildFleetMigrationReport,
  type FleetMigrationIteration,
  type FleetMigrationReport,
} from '../../core/fleet/fleet-migration.ts';
import { failedClusters } from '../../core/fleet/report.ts';
import {
  type ClusterRunReportDeps,
  keepAndAnnounce,
  loadClusterOutcomes,
} from '../../core/run-output.ts';

export interface ReportFleetMigrationInput {
  runId: string;
  run: {
    selector: string;
    migration: { approve: boolean; removeOidcProviderTrustRelationship: boolean };
    warnings: string[];
    results: { clusterName: string }[];
  };
}

export interface ReportFleetMigrationDeps extends ClusterRunReportDeps<FleetMigrationReport> {
  /** The cluster's outcome as the Map's record step kept it; undefined when none was kept. */
  loadOutcome(runId: string, clusterName: string): Promise<FleetMigrationIteration | undefined>;
}

/**
 * Builds the fleet migration's report from each cluster's outcome, stores it whole, announces the
 * run on EventBridge and returns it cut to fit the execution's output.
 */
export async function reportFleetMigration(
  input: ReportFleetMigrationInput,
  deps: ReportFleetMigrationDeps,
) {
  const { run } = input;
  const report = buildFleetMigrationReport({
    runId: input.runId,
    selector: run.selector,
    migration: run.migration,
    iterations: await loadClusterOutcomes(run.results, (name) =>
      deps.loadOutcome(input.runId, name),
    ),
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
