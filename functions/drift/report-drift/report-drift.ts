import {
  buildDriftReport,
  type DriftIteration,
  type DriftReport,
  driftReportOutput,
} from '../../core/drift/report.ts';

export interface ReportDriftInput {
  runId: string;
  run: { heal: boolean; selector: string; results: DriftIteration[] };
}

export interface ReportDriftDeps {
  saveReport(runId: string, report: DriftReport): Promise<string>;
  reportLocation(runId: string): string;
  publish(detail: Record<string, unknown>): Promise<void>;
}

/**
 * Builds the drift check's report, stores it whole, announces the run on EventBridge (with the
 * drifted clusters) and returns it cut to fit the execution's output.
 */
export async function reportDrift(
  input: ReportDriftInput,
  deps: ReportDriftDeps,
): Promise<ReturnType<typeof driftReportOutput>> {
  const report = buildDriftReport({
    runId: input.runId,
    heal: input.run.heal,
    selector: input.run.selector,
    iterations: input.run.results,
    reportLocation: deps.reportLocation(input.runId),
  });
  await deps.saveReport(input.runId, report);
  await deps.publish({
    workflow: report.workflow,
    runId: report.runId,
    heal: report.heal,
    clusterCounts: report.clusterCounts,
    driftedItems: report.driftedItems,
    driftedClusters: report.clusters
      .filter((cluster) => cluster.result === 'drifted' || cluster.result === 'healed')
      .map((cluster) => cluster.clusterName),
    reportLocation: report.reportLocation,
  });
  return driftReportOutput(report);
}
