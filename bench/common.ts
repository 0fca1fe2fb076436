/**
 * What the benchmarks share: loading the task modules before the clock starts, the floor the
 * rate limits set for the minimum calls the work needs, CloudFormation's rate limit, call
 * statistics from the simulator's log, the runs' history events, the bundle sizes of a workflow's
 * tasks, and the SDK settings of the eksctl-style baseline.
 */

import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { NamedError } from '../functions/core/errors.ts';
import {
  handlerEntry,
  listTasks,
  readWorkflowDefinition,
  workflowFile,
} from '../functions/core/workflow-files.ts';
import { FUNCTIONS_DIR, STATE_MACHINES_DIR } from '../infra/paths.ts';
import { buildTaskBundles } from '../infra/task-bundle.ts';
import type { Simulator } from '../local/simulator/index.ts';

/**
 * Silences the tasks' logs and EMF metric lines, which would mix into the printed figures, and
 * the SDK's notice about this Node version.
 */
export function quietTasks(): void {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * The simulator's services whose calls are the run's own bookkeeping, not its work: the run store
 * (S3, counted apart as run store reads and writes) and the run's events (EventBridge).
 */
const BOOKKEEPING_SERVICES = new Set(['s3', 'events']);

/**
 * CloudFormation's rate, one bucket for all its calls (eksctl's role stacks: DescribeStacks and
 * the rest). AWS publishes no request rate for CloudFormation's API, but documents that it
 * throttles it, DescribeStacks first among its examples, with "Rate exceeded", and that callers
 * must back off (https://repost.aws/knowledge-center/cloudformation-rate-exceeded-error); 5 a
 * second for the whole service is a conservative guess, so that a run's stack reads cost it wall
 * time rather than looking free.
 */
export const CLOUDFORMATION_RATE_LIMITS: Record<string, number> = { 'cloudformation:*': 5 };

/**
 * Loads every task module before the clock starts: the local runner compiles TypeScript on first
 * import, seconds that a deployed Lambda (a prebuilt bundle) never spends.
 */
export async function warmUp(): Promise<void> {
  for (const task of listTasks(FUNCTIONS_DIR).keys()) {
    await import(pathToFileURL(handlerEntry(FUNCTIONS_DIR, task)).href);
  }
}

/**
 * The least time the rate limits allow for `minimumCalls` (per `service:Operation`, the calls the
 * work cannot do without), and the API that sets it: the busiest limit bounds the whole run, since
 * the limits are independent and can be used at the same time.
 */
export function trueFloor(
  minimumCalls: Record<string, number>,
  rates: Record<string, number>,
): { seconds: number; api: string } {
  let floor = { seconds: 0, api: 'none' };
  for (const [api, calls] of Object.entries(minimumCalls)) {
    const rate = rates[api];
    if (rate === undefined) continue;
    if (calls / rate > floor.seconds) floor = { seconds: calls / rate, api };
  }
  return floor;
}

/** Where a measured stretch of a run starts: how far the call log and the throttles had got. */
export interface CallMark {
  calls: number;
  throttled: ReadonlyMap<string, number>;
}

/** What the call statistics read of a simulator: its call log and its throttles. */
type CallLog = Pick<Simulator, 'calls' | 'throttled'>;

export function markCalls(simulator: CallLog): CallMark {
  return { calls: simulator.calls.length, throttled: new Map(simulator.throttled) };
}

/** The calls of one `service:Operation`. */
export interface OperationCalls {
  /** Requests the simulator answered, whatever the answer; throttled attempts not included. */
  calls: number;
  /** Of those, the ones answered with an error (a 404, or a stack that "does not exist"). */
  failed: number;
  /** Attempts a rate limit refused (each one retried, or the call failed). */
  throttled: number;
}

export interface CallStats {
  /**
   * Requests of the work that change nothing: every service but the run store and the run's
   * events (EKS, IAM, Kubernetes, CloudFormation, STS), whatever the answer. Throttled attempts
   * are counted apart (`throttles`), so that the figure does not depend on the rate limits.
   */
  reads: number;
  /** Of the reads, the ones answered with an error: a stack, role or object that is not there. */
  failedReads: number;
  /** Requests of the work that change something, whatever the answer, throttles apart. */
  writes: number;
  /** Attempts a rate limit refused, reads and writes of every service. */
  throttles: number;
  /** Run store (S3) and event (EventBridge) requests: the run's bookkeeping, not its work. */
  bookkeeping: number;
  /** Run store reads (S3 GetObject), answered or not. */
  runStoreReads: number;
  /** Run store writes (S3 PutObject). */
  runStoreWrites: number;
  /** The calls of each `service:Operation`, bookkeeping included. */
  byOperation: Record<string, OperationCalls>;
}

/** Statistics of the simulator's calls since `mark` (by default, since it started). */
export function callStats(
  simulator: CallLog,
  mark: CallMark = { calls: 0, throttled: new Map() },
): CallStats {
  const byOperation: Record<string, OperationCalls> = {};
  const mutating = new Map<string, boolean>();
  for (const call of simulator.calls.slice(mark.calls)) {
    const api = `${call.service}:${call.operation}`;
    const tally = byOperation[api] ?? { calls: 0, failed: 0, throttled: 0 };
    byOperation[api] = tally;
    tally.calls += 1;
    if (call.status >= 400) tally.failed += 1;
    mutating.set(api, call.mutating);
  }
  const stats: CallStats = {
    reads: 0,
    failedReads: 0,
    writes: 0,
    throttles: 0,
    bookkeeping: 0,
    runStoreReads: 0,
    runStoreWrites: 0,
    byOperation,
  };
  for (const [api, tally] of Object.entries(byOperation)) {
    // A refused attempt is in the call log too, as a failed call: it is moved to `throttled`.
    tally.throttled = (simulator.throttled.get(api) ?? 0) - (mark.throttled.get(api) ?? 0);
    tally.calls -= tally.throttled;
    tally.failed -= tally.throttled;
    stats.throttles += tally.throttled;
    if (api === 's3:GetObject') stats.runStoreReads += tally.calls;
    if (api === 's3:PutObject') stats.runStoreWrites += tally.calls;
    if (BOOKKEEPING_SERVICES.has(api.slice(0, api.indexOf(':')))) stats.bookkeeping += tally.calls;
    else if (mutating.get(api)) stats.writes += tally.calls;
    else {
      stats.reads += tally.calls;
      stats.failedReads += tally.failed;
    }
  }
  return stats;
}

/**
 * The calls per API, busiest first, as a line to print under a table: where a run's requests go,
 * per unit of `count`.
 */
export function operationsLine(byOperation: Record<string, OperationCalls>, count: number): string {
  return Object.entries(byOperation)
    .sort(([, left], [, right]) => right.calls + right.throttled - (left.calls + left.throttled))
    .map(([api, { calls, failed, throttled }]) => {
      const notes = [
        `${(calls / count).toFixed(3)}/item`,
        ...(failed > 0 ? [`${failed} failed`] : []),
        ...(throttled > 0 ? [`${throttled} throttled`] : []),
      ];
      return `${api} ${calls} (${notes.join(', ')})`;
    })
    .join(', ');
}

/** Calls a rate limit refused so far. */
export function throttledCalls(simulator: Simulator): number {
  return [...simulator.throttled.values()].reduce((sum, value) => sum + value, 0);
}

/**
 * eksctl's client settings: the SDK's standard retry mode with its default 3 attempts, and no
 * bound on calls in flight (eksctl runs its task tree's tasks as parallel goroutines).
 */
const EKSCTL_SDK_SETTINGS = { retryMode: 'standard', maxAttempts: 3 } as const;

/** The simulator's credentials, as its environment gives them to clients. */
export function simulatorCredentials(simulator: Simulator) {
  const env = simulator.env();
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    sessionToken: env.AWS_SESSION_TOKEN,
  };
}

export interface EksctlStyleClients {
  iam: IAMClient;
  eks: EKSClient;
}

/**
 * Runs eksctl's way against `simulator`: every unit of `work` at once, with eksctl's SDK settings.
 * Its wall time, the throttles it met and the units that failed; the simulator is closed after.
 */
export async function runEksctlStyle(
  simulator: Simulator,
  region: string,
  work: (clients: EksctlStyleClients) => Promise<unknown>[],
): Promise<{ seconds: number; throttles: number; failed: number }> {
  const config = {
    endpoint: simulator.url,
    region,
    credentials: simulatorCredentials(simulator),
    ...EKSCTL_SDK_SETTINGS,
  };
  const clients = { iam: new IAMClient(config), eks: new EKSClient(config) };
  const started = performance.now();
  const results = await Promise.allSettled(work(clients));
  const wall = seconds(started);
  const firstFailure = results.find((result) => result.status === 'rejected');
  if (process.env.BENCH_DEBUG && firstFailure) console.error(firstFailure.reason);
  clients.iam.destroy();
  clients.eks.destroy();
  const throttles = throttledCalls(simulator);
  await simulator.close();
  return {
    seconds: wall,
    throttles,
    failed: results.filter((result) => result.status === 'rejected').length,
  };
}

/** The history events of a run's executions, as runWorkflow's `onHistoryEvents` reports them. */
export interface HistoryEvents {
  /** Every execution's, nested runs included. */
  total: number;
  /** The longest history of one execution, which Step Functions caps at 25,000 events. */
  longest: { events: number; workflow: string };
}

/** A tally of history events and the `onHistoryEvents` option that keeps it. */
export function historyEvents(): {
  tally: HistoryEvents;
  onHistoryEvents: (workflow: string, events: number) => void;
} {
  const tally: HistoryEvents = { total: 0, longest: { events: 0, workflow: 'none' } };
  return {
    tally,
    onHistoryEvents: (workflow, events) => {
      tally.total += events;
      if (events > tally.longest.events) tally.longest = { events, workflow };
    },
  };
}

/** The tasks a workflow runs, its nested workflows' included. */
function workflowTasks(workflow: string, seen = new Set<string>()): string[] {
  if (seen.has(workflow)) return [];
  seen.add(workflow);
  const { tasks, nestedWorkflows } = readWorkflowDefinition(
    workflowFile(STATE_MACHINES_DIR, workflow),
  );
  return [
    ...new Set([...tasks, ...nestedWorkflows.flatMap((nested) => workflowTasks(nested, seen))]),
  ].sort();
}

/**
 * The line that gives the bundle size of each task `workflow` runs (nested workflows' included),
 * built as TaskFunction builds it (infra/task-bundle.ts) but kept in memory: what a cold start of
 * each of the run's Lambda functions loads.
 */
export async function bundleSizesLine(workflow: string): Promise<string> {
  const tasks = workflowTasks(workflow);
  const { outputFiles = [] } = await buildTaskBundles(
    Object.fromEntries(tasks.map((task) => [task, handlerEntry(FUNCTIONS_DIR, task)])),
    path.join(tmpdir(), 'eks-pia-bench-bundles'),
    { write: false, logLevel: 'silent' },
  );
  const kib = new Map(
    outputFiles
      .filter((file) => file.path.endsWith('.mjs'))
      .map((file) => [path.basename(file.path, '.mjs'), file.contents.length / 1024]),
  );
  const sizes = tasks.map((task) => `${task} ${(kib.get(task) ?? Number.NaN).toFixed(0)}`);
  return `${workflow} task bundles, KiB: ${sizes.join(', ')}`;
}

export function seconds(started: number): number {
  return (performance.now() - started) / 1000;
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(title);
  const [first] = rows;
  if (!first) return;
  console.log(Object.keys(first).join('\t'));
  for (const row of rows) console.log(Object.values(row).join('\t'));
}

/** A bench size no AWS account could run. */
export class BenchSizeError extends NamedError {
  override readonly name = 'BenchSizeError';
}

/** IAM's most roles per account, the highest quota AWS grants on request. */
const IAM_MAX_ROLES = 5000;

/**
 * The account's roles quota for a bench world that ends up with `roles` roles: IAM's default
 * 1,000, raised as AWS raises it on request; a size needing more than IAM ever allows is refused,
 * since no account could run it.
 */
export function rolesQuotaFor(roles: number): number {
  if (roles > IAM_MAX_ROLES) {
    throw new BenchSizeError(
      `this size needs ${roles} IAM roles in one account, more than the ${IAM_MAX_ROLES} IAM allows at most: choose a smaller size`,
    );
  }
  return Math.max(1000, roles);
}
