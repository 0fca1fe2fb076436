import type { WorkflowInput } from '../../core/associations/request.ts';
import type { ClusterConfig } from '../../core/config/index.ts';
import type { DesiredRun } from '../../core/desired-state.ts';

export interface RecordDesiredStateInput {
  runId: string;
  clusterName: string;
  /** The run's input, for the scope and prune it was started with. */
  input: unknown;
}

export interface RecordDesiredStateDeps {
  parseInput(input: unknown): WorkflowInput;
  /** The config read-association-config validated for this run. */
  readConfig(runId: string): Promise<ClusterConfig>;
  saveDesiredState(clusterName: string, config: ClusterConfig, run: DesiredRun): Promise<string>;
}

/**
 * After an apply that changed the cluster (not a dry run), keeps what it applied as the
 * cluster's desired state, replacing the last one: the drift check plans the same apply again.
 * Runs from flags are not applies, so only a config's run is recorded.
 */
export async function recordDesiredState(
  input: RecordDesiredStateInput,
  deps: RecordDesiredStateDeps,
): Promise<{ recorded: string | null }> {
  const parsed = deps.parseInput(input.input);
  if (parsed.kind !== 'config' || parsed.operation !== 'apply' || parsed.dryRun) {
    return { recorded: null };
  }
  const config = await deps.readConfig(input.runId);
  const run: DesiredRun = { scope: parsed.scope, prune: parsed.prune, runId: input.runId };
  return { recorded: await deps.saveDesiredState(input.clusterName, config, run) };
}
