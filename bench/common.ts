/**
 * What the benchmarks share: loading the task modules before the clock starts, the floor the
 * rate limits set for the minimum calls the work needs, call statistics from the simulator's log,
 * and the SDK settings of the eksctl-style baseline.
 */

import { fileURLToPath, pathToFileURL } from 'node:url';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { NamedError } from '../functions/core/errors.ts';
import { handlerEntry, listTasks } from '../functions/core/workflow-files.ts';
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

/** The simulator's services whose calls are the work itself (not the run store or events). */
const WORK_SERVICES = new Set(['eks', 'iam', 'kubernetes']);

/**
 * Loads every task module before the clock starts: the local runner compiles TypeScript on first
 * import, seconds that a deployed Lambda (a prebuilt bundle) never spends.
 */
export async function warmUp(): Promise<void> {
  const functionsDir = fileURLToPath(new URL('../functions/', import.meta.url));
  for (const task of listTasks(functionsDir).keys()) {
    await import(pathToFileURL(handlerEntry(functionsDir, task)).href);
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

export interface CallStats {
  /** Answered calls to EKS, IAM and Kubernetes that change nothing. */
  reads: number;
  /** Answered calls to them that change something. */
  writes: number;
  /** Run store, event, identity and CloudFormation calls (S3, EventBridge, STS, stacks). */
  other: number;
  /** Run store reads (S3 GetObject), answered or not. */
  runStoreReads: number;
  /** Run store writes (S3 PutObject). */
  runStoreWrites: number;
  /** Answered calls per `service:Operation`, reads and writes of every service. */
  byOperation: Record<string, number>;
}

/** Statistics of the simulator's calls from index `since` on. */
export function callStats(simulator: Simulator, since = 0): CallStats {
  const stats: CallStats = {
    reads: 0,
    writes: 0,
    other: 0,
    runStoreReads: 0,
    runStoreWrites: 0,
    byOperation: {},
  };
  for (const call of simulator.calls.slice(since)) {
    const api = `${call.service}:${call.operation}`;
    if (call.status < 400) stats.byOperation[api] = (stats.byOperation[api] ?? 0) + 1;
    if (api === 's3:GetObject') stats.runStoreReads += 1;
    if (api === 's3:PutObject') stats.runStoreWrites += 1;
    if (!WORK_SERVICES.has(call.service)) stats.other += 1;
    else if (call.status >= 400) continue;
    else if (call.mutating) stats.writes += 1;
    else stats.reads += 1;
  }
  return stats;
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
