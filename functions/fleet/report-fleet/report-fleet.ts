import {
  buildFleetReport,
  type FleetIteration,
  type FleetReport,
  fleetReportOutput,
} from '../../core/fleet/report.ts';

export interface ReportFleetInput {
  runId: string;
  run: {
    selected: { dryRun: boolean; source: string; selector: string; warnings: string[] };
    results: FleetIteration[];
  };
}

export interface ReportFleetDeps {
  /** Stores the whole report in the run store; returns its `s3://` location. */
  saveReport(runId: string, report: FleetReport): Promise<string>;
  reportLocation(runId: string): string;
  publish(detail: Record<string, unknown>): Promise<void>;
}

/**
 * Builds the fleet run's report from each cluster's outcome, stores it whole, announces the run
 * on EventBridge and returns it cut to fit the execution's output.
 */
export async function reportFleet(
  input: ReportFleetInput,
  deps: ReportFleetDeps,
): Promise<ReturnType<typeof fleetReportOutput>> {
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
  await deps.saveReport(input.runId, report);
  await deps.publish({
    workflow: report.workflow,
    runId: report.runId,
    dryRun: report.dryRun,
    source: report.source,
    clusterCounts: report.clusterCounts,
    counts: report.counts,
    failedClusters: report.clusters
      .filter((cluster) => cluster.result === 'failed')
      .map((cluster) => cluster.clusterName),
    reportLocation: report.reportLocation,
  });
  return fleetReportOutput(report);
}
