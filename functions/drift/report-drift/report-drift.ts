import {
  buildDriftReport,
  type DriftIteration,
  type DriftReport,
} from '../../core/drift/report.ts';
import {
  type ClusterRunReportDeps,
  keepAndAnnounce,
  loadClusterOutcomes,
} from '../../core/run-output.ts';

export interface ReportDriftInput {
  runId: string;
  run: {
    heal: boolean;
    selector: string;
    warnings: string[];
    results: { clusterName: string }[];
  };
}

export interface ReportDriftDeps extends ClusterRunReportDeps<DriftReport> {
  /** The cluster's outcome as the Map's record step kept it; undefined when none was kept. */
  loadOutcome(runId: string, clusterName: string): Promise<DriftIteration | undefined>;
}

/**
 * Builds the drift check's report, stores it whole, announces the run on EventBridge (with the
 * drifted clusters) and returns it cut to fit the execution's output.
 */
export async function reportDrift(input: ReportDriftInput, deps: ReportDriftDeps) {
  const report = buildDriftReport({
    runId: input.runId,
    heal: input.run.heal,
    selector: input.run.selector,
    warnings: input.run.warnings,
    iterations: await loadClusterOutcomes(input.run.results, (name) =>
      deps.loadOutcome(input.runId, name),
    ),
    reportLocation: deps.reportLocation(input.runId),
  });
  return keepAndAnnounce(report, deps, {
    heal: report.heal,
    clusterCounts: report.clusterCounts,
    driftedItems: report.driftedItems,
    driftedClusters: report.clusters
      .filter((cluster) => cluster.result === 'drifted' || cluster.result === 'healed')
      .map((cluster) => cluster.clusterName),
  });
}
