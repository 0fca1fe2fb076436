import type { BootstrapTrigger } from '../../core/bootstrap/event.ts';
import {
  type AgentOutcome,
  type AssociationsOutcome,
  type BootstrapReport,
  buildBootstrapReport,
  type ConfigOutcome,
  runCompletedDetail,
} from '../../core/bootstrap/report.ts';

/** The workflow's state at its end, as the Report state passes it. */
export interface BootstrapRunState {
  clusterName: string;
  region: string;
  trigger: BootstrapTrigger;
  polls: { count: number };
  cluster: { arn: string; version: string; autoMode: boolean };
  agent: { report: AgentOutcome };
  config: ConfigOutcome;
  /** Absent when no config was found, so the associations workflow did not run. */
  associations?: AssociationsOutcome | undefined;
}

export interface ReportBootstrapInput {
  runId: string;
  run: BootstrapRunState;
}

export interface ReportBootstrapDeps {
  publish(detail: Record<string, unknown>): Promise<void>;
}

/** Builds the run's report and announces the run on EventBridge. */
export async function reportBootstrap(
  input: ReportBootstrapInput,
  deps: ReportBootstrapDeps,
): Promise<BootstrapReport> {
  const { run } = input;
  const report = buildBootstrapReport({
    clusterName: run.clusterName,
    region: run.region,
    trigger: run.trigger,
    cluster: { arn: run.cluster.arn, version: run.cluster.version, autoMode: run.cluster.autoMode },
    // The first check counts too: the loop counts only the checks after a wait.
    statusChecks: run.polls.count + 1,
    agent: run.agent.report,
    config: run.config,
    associations: run.associations ?? null,
  });
  await deps.publish(runCompletedDetail(input.runId, report));
  return report;
}
