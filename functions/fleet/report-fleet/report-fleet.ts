import {
  buildFleetReport,
  type FleetIteration,
  type FleetReport,
  failedClusters,
} from '../../core/fleet/report.ts';
import { type ClusterRunReportDeps, keepAndAnnounce } from '../../core/run-output.ts';

export interface ReportFleetInput {
  runId: string;
  run: {
    selected: { dryRun: boolean; source: string; selector: string; warnings: string[] };
    results: FleetIteration[];
  };
}

/**
 * Builds the fleet run's report from each cluster's outcome, stores it whole, announces the run
 * on EventBridge and returns it cut to fit the execution's output.
 */
export function reportFleet(input: ReportFleetInput, deps: ClusterRunReportDeps<FleetReport>) {
  const { selected, results } = input.run;
  const report = buildFleetReport({
    runId: input.runId,
    dryRun: selected.dryRun,
    source: selected.source,
    selector: selected.selector,
    iterations: results,
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
