import {
  buildDriftReport,
  type DriftIteration,
  type DriftReport,
} from '../../core/drift/report.ts';
import { type ClusterRunReportDeps, keepAndAnnounce } from '../../core/run-output.ts';

export interface ReportDriftInput {
  runId: string;
  run: { heal: boolean; selector: string; results: DriftIteration[] };
}

/**
 * Builds the drift check's report, stores it whole, announces the run on EventBridge (with the
 * drifted clusters) and returns it cut to fit the execution's output.
 */
export function reportDrift(input: ReportDriftInput, deps: ClusterRunReportDeps<DriftReport>) {
  const report = buildDriftReport({
    runId: input.runId,
    heal: input.run.heal,
    selector: input.run.selector,
    iterations: input.run.results,
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
