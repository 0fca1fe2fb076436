import type { AssociationsReport } from '../../core/associations/report.ts';
import {
  buildFleetReport,
  type FleetIteration,
  type FleetReport,
  failedClusters,
} from '../../core/fleet/report.ts';
import {
  type ClusterRunReportDeps,
  keepAndAnnounce,
  loadClusterItems,
  loadClusterOutcomes,
} from '../../core/run-output.ts';

export interface ReportFleetInput {
  runId: string;
  run: {
    selected: { dryRun: boolean; source: string; selector: string; warnings: string[] };
    results: { clusterName: string }[];
  };
}

export interface ReportFleetDeps extends ClusterRunReportDeps<FleetReport> {
  /** The cluster's outcome as the Map's record step kept it; undefined when none was kept. */
  loadOutcome(runId: string, clusterName: string): Promise<FleetIteration | undefined>;
  /** A cluster's nested associations run's report, by the location its run returned. */
  loadClusterReport(location: string): Promise<Pick<AssociationsReport, 'items'>>;
}

/**
 * Builds the fleet run's report from each cluster's outcome and its nested run's items (a dry
 * run's: the fleet's one plan), stores it whole, announces the run on EventBridge and returns it
 * cut to fit the execution's output.
 */
export async function reportFleet(input: ReportFleetInput, deps: ReportFleetDeps) {
  const { selected, results } = input.run;
  const iterations = await loadClusterOutcomes(results, (name) =>
    deps.loadOutcome(input.runId, name),
  );
  const report = buildFleetReport({
    runId: input.runId,
    dryRun: selected.dryRun,
    source: selected.source,
    selector: selected.selector,
    iterations,
    items: await loadClusterItems(
      iterations,
      (iteration: FleetIteration) => iteration.associations?.reportLocation,
      async (location) => (await deps.loadClusterReport(location)).items,
    ),
    warnings: selected.warnings,
    reportLocation: deps.reportLocation(input.runId),
  });
  return keepAndAnnounce(report, deps, {
    dryRun: report.dryRun,
    source: report.source,
    clusterCounts: report.clusterCounts,
    counts: report.counts,
    failedClusters: failedClusters(report),
  });
}
