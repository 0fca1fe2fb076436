import type { AssociationsReport } from '../../core/associations/report.ts';
import {
  buildDriftReport,
  type DriftIteration,
  type DriftReport,
  driftedItems,
} from '../../core/drift/report.ts';
import {
  type ClusterRunReportDeps,
  keepAndAnnounce,
  loadClusterItems,
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
  /** A cluster's check (a dry run of its recorded apply): its report, by the location the run returned. */
  loadClusterReport(location: string): Promise<Pick<AssociationsReport, 'items' | 'undeclared'>>;
}

/**
 * Builds the drift check's report, with each cluster's drifted items from its check's report,
 * stores it whole, announces the run on EventBridge (with the drifted clusters) and returns it
 * cut to fit the execution's output.
 */
export async function reportDrift(input: ReportDriftInput, deps: ReportDriftDeps) {
  const iterations = await loadClusterOutcomes(input.run.results, (name) =>
    deps.loadOutcome(input.runId, name),
  );
  const report = buildDriftReport({
    runId: input.runId,
    heal: input.run.heal,
    selector: input.run.selector,
    warnings: input.run.warnings,
    iterations,
    items: await loadClusterItems(
      iterations,
      (iteration: DriftIteration) => iteration.check?.reportLocation,
      async (location) => driftedItems(await deps.loadClusterReport(location)),
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
