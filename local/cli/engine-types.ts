/** What the commands hand an engine, and what every engine (local, remote) offers them. */
import type { RunWorkflowOptions } from '../runner/run-workflow.ts';
import type { Simulator } from '../simulator/index.ts';

export interface GlobalOptions {
  region?: string;
  /** `--profile`: the shared config profile for credentials and region (AWS_PROFILE otherwise). */
  profile?: string;
  engine: 'local' | 'remote';
  simulate?: string;
  stateOut?: string;
  callsOut?: string;
  /** `--s3-object s3://BUCKET/KEY=FILE`, repeatable: objects put into the simulated world. */
  s3Object?: string[];
  output?: string;
  verbose?: boolean;
  /** `--engine remote`: the state machine to start, instead of the stack's output. */
  stateMachineArn?: string;
  /** `--engine remote`: the deployed stack whose outputs name the state machines. */
  stackName?: string;
  /** `--engine remote`: time between two looks at the execution (tests shorten it). */
  pollIntervalMs?: number;
}

/** What a command may set for one run. */
export interface RunHooks extends Partial<RunWorkflowOptions> {
  /** Aborted: stop following the run (the remote engine; a local run goes on until the process ends). */
  signal?: AbortSignal;
}

export interface Engine {
  readonly region: string;
  readonly simulator: Simulator | undefined;
  run(workflow: string, input: unknown, hooks?: RunHooks): Promise<unknown>;
  /**
   * What became of the run named `executionName` once the command stopped waiting for it
   * (`--timeout`), and how to follow it: a clause for the command's error message.
   */
  abandoned(executionName: string): string;
  /**
   * Writes `--state-out` and `--calls-out` as the simulated world stands now: called again on
   * every exit (error, `--timeout`, Ctrl-C), so an interrupted run can be resumed from its state.
   */
  record(): void;
  /** Ctrl-C stops the engine's own wait (the remote engine says how to follow the execution). */
  readonly followsInterrupts?: boolean;
  /** Records, then stops the simulator. */
  close(): Promise<void>;
}
