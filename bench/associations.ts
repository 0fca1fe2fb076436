/**
 * Benchmark: `apply` of N associations through the real workflow and handlers on the simulator,
 * with per-API rate limits and latency, and the SDK's production retry behaviour (adaptive, 8
 * attempts) rather than the tests' millisecond retries; then the same apply again on the world it
 * left (a rerun that must change nothing), and an eksctl-style baseline on a fresh world.
 *
 *   node --import tsx bench/associations.ts [N ...]     (default: 100 1000 5000 20000)
 *
 * Above 5,000 the associations come from several config files (a config object is limited to
 * 1 MiB), applied as concurrent runs, as a team splitting its config would.
 *
 * The floor is what the rate limits allow for the calls the work cannot do without, per API:
 * eks:CreatePodIdentityAssociation once per association, iam:CreateRole and
 * iam:AttachRolePolicy once per role the service creates (one entry in ten carries permissions),
 * iam:GetRole once for the role the other entries share (is it there, does it trust pods?), and
 * eks:ListPodIdentityAssociations once per page of 100 existing associations. The busiest of
 * these bounds the run, since the limits are independent. CloudFormation has a rate limit too
 * (common.ts), though the floor needs none of its calls. Prints per N: wall time and wall ÷
 * floor; reads, failed reads and writes per association (every request to EKS, IAM, Kubernetes,
 * CloudFormation and STS whatever its answer, throttled attempts apart; failed reads are those
 * answered with an error, such as a stack that does not exist); the run store's (S3) and events'
 * requests per association apart, with run store reads in all, per batch and per association, and
 * writes; state transitions, Lambda invocations and history events (as the local runner counts
 * them against Step Functions' 25,000, nested and concurrent runs added up) per association, and
 * the longest history of one execution; throttles, created and failed; the rerun's wall time,
 * reads and failed reads per association, run store reads per batch and changes; and the
 * baseline's wall time, throttles and failures. Under the table: the calls per API of the run and
 * of the rerun, and the bundle size of each task the workflow runs. The per-cluster association
 * quota (5,000) is raised for larger N, as AWS does on request.
 */
import { stringify as stringifyYaml } from 'yaml';
import { BATCH_SIZE } from '../functions/associations/plan-associations/plan-associations.ts';
import { runWorkflow } from '../local/runner/run-workflow.ts';
import { configBucketName, connectToSimulator } from '../local/runner/simulated-aws.ts';
import { parseWorld, type Simulator, startSimulator } from '../local/simulator/index.ts';
import { AUTOMATION_ROLE } from '../local/simulator/synthetic-worlds.ts';
import {
  ACCOUNT,
  associationEntries,
  eksctlCreate,
  LATENCY_MS,
  MANAGED_EVERY,
  RATE_LIMITS,
  REGION,
  SHARED_ROLE,
} from './association-world.ts';
import {
  bundleSizesLine,
  callStats,
  historyEvents,
  markCalls,
  operationsLine,
  printTable,
  quietTasks,
  rolesQuotaFor,
  runEksctlStyle,
  seconds,
  trueFloor,
  warmUp,
} from './common.ts';

quietTasks();

function benchWorld(count: number): string {
  return stringifyYaml({
    account: ACCOUNT,
    region: REGION,
    caller: `arn:aws:iam::${ACCOUNT}:role/automation`,
    clusters: [
      {
        name: 'bench',
        version: '1.31',
        addons: [{ name: 'eks-pod-identity-agent', version: 'v1.3.4-eksbuild.1' }],
      },
    ],
    roles: [AUTOMATION_ROLE, SHARED_ROLE],
    quotas: {
      associationsPerCluster: Math.max(5000, count),
      roles: rolesQuotaFor(2 + Math.ceil(count / MANAGED_EVERY)),
    },
    behaviour: { latencyMs: LATENCY_MS, rateLimits: RATE_LIMITS },
  });
}

/**
 * Entries per config file: a config object is limited to 1 MiB, so a cluster of 20,000
 * associations is applied, as a team would, from several files, each its own run, all at once.
 */
const ENTRIES_PER_FILE = 5000;

/** The configs that together declare `count` associations, each under the size limit. */
function benchConfigs(count: number): string[] {
  const all = associationEntries(count);
  return Array.from({ length: Math.ceil(count / ENTRIES_PER_FILE) }, (_, file) =>
    stringifyYaml({
      apiVersion: 'eksctl.io/v1alpha5',
      kind: 'ClusterConfig',
      metadata: { name: 'bench', region: REGION },
      iam: {
        podIdentityAssociations: all.slice(file * ENTRIES_PER_FILE, (file + 1) * ENTRIES_PER_FILE),
      },
    }),
  );
}

function minimumCalls(count: number): Record<string, number> {
  const managed = Math.ceil(count / MANAGED_EVERY);
  return {
    'eks:CreatePodIdentityAssociation': count,
    'iam:CreateRole': managed,
    'iam:AttachRolePolicy': managed,
    'iam:GetRole': 1,
    'eks:ListPodIdentityAssociations': 1,
  };
}

async function applyOnce(simulator: Simulator, count: number) {
  const bucket = configBucketName(ACCOUNT);
  const store = simulator.state.world.buckets.find((candidate) => candidate.name === bucket);
  if (!store) throw new Error('the simulator did not provide the config bucket');
  const keys = benchConfigs(count).map((config, file) => {
    const key = `apply/bench-${count}-${file}.yaml`;
    store.objects[key] = config;
    return key;
  });
  let transitions = 0;
  let invocations = 0;
  const history = historyEvents();
  const mark = markCalls(simulator);
  const started = performance.now();
  const reports = (await Promise.all(
    keys.map((key) =>
      runWorkflow(
        'associations',
        { operation: 'apply', config: { s3: { bucket, key } } },
        {
          region: REGION,
          account: ACCOUNT,
          shortenWaits: true,
          onStateEntered: () => (transitions += 1),
          onTaskInvoked: () => (invocations += 1),
          onHistoryEvents: history.onHistoryEvents,
        },
      ),
    ),
  )) as { counts: Record<string, number> }[];
  const counts: Record<string, number> = {};
  for (const report of reports)
    for (const [name, value] of Object.entries(report.counts))
      counts[name] = (counts[name] ?? 0) + value;
  return {
    seconds: seconds(started),
    transitions,
    invocations,
    history: history.tally,
    calls: callStats(simulator, mark),
    counts,
  };
}

/**
 * eksctl's way: every entry at once (its task tree runs them as parallel goroutines), each with
 * the SDK's standard retry and 3 attempts: create the role and attach its policy when the entry
 * carries permissions, then create the association.
 */
async function eksctlBaseline(count: number) {
  const simulator = await startSimulator(parseWorld(benchWorld(count)));
  return runEksctlStyle(simulator, REGION, (clients) =>
    associationEntries(count).map((entry) => eksctlCreate(clients, 'bench', entry)),
  );
}

async function benchOnce(count: number) {
  const simulator = await startSimulator(parseWorld(benchWorld(count)));
  // Production retry behaviour: the point is how the workflow copes with real backoff.
  const disconnect = connectToSimulator(simulator, { retries: 'production' });
  const run = await applyOnce(simulator, count);
  const mutatingBefore = simulator.mutatingCalls().length;
  const rerun = await applyOnce(simulator, count);
  const rerunChanges = simulator.mutatingCalls().length - mutatingBefore;
  disconnect();
  await simulator.close();
  const baseline = await eksctlBaseline(count);
  const floor = trueFloor(minimumCalls(count), RATE_LIMITS);
  const per = (value: number) => (value / count).toFixed(3);
  const batches = Math.ceil(count / BATCH_SIZE);
  const perBatch = (value: number) => (value / batches).toFixed(2);
  breakdowns.push(
    `run of ${count}, calls per API: ${operationsLine(run.calls.byOperation, count)}`,
    `rerun of ${count}, calls per API: ${operationsLine(rerun.calls.byOperation, count)}`,
  );
  return {
    N: count,
    'floor s': `${floor.seconds.toFixed(1)} (${floor.api})`,
    'wall s': run.seconds.toFixed(1),
    'wall/floor': (run.seconds / floor.seconds).toFixed(2),
    'reads/assoc': per(run.calls.reads),
    'failed reads/assoc': per(run.calls.failedReads),
    'writes/assoc': per(run.calls.writes),
    'run-store+events calls/assoc': per(run.calls.bookkeeping),
    'S3 reads': run.calls.runStoreReads,
    'S3 reads/batch': perBatch(run.calls.runStoreReads),
    'S3 reads/assoc': per(run.calls.runStoreReads),
    'S3 writes': run.calls.runStoreWrites,
    'transitions/assoc': per(run.transitions),
    'lambdas/assoc': per(run.invocations),
    'history events/assoc': per(run.history.total),
    'longest history': run.history.longest.events,
    throttles: run.calls.throttles,
    created: run.counts.created ?? 0,
    failed: run.counts.failed ?? 0,
    'rerun wall s': rerun.seconds.toFixed(1),
    'rerun reads/assoc': per(rerun.calls.reads),
    'rerun failed reads/assoc': per(rerun.calls.failedReads),
    'rerun S3 reads/batch': perBatch(rerun.calls.runStoreReads),
    'rerun unchanged': rerun.counts.unchanged ?? 0,
    'rerun changes': rerunChanges,
    'eksctl-style wall s': baseline.seconds.toFixed(1),
    'eksctl-style wall/floor': (baseline.seconds / floor.seconds).toFixed(2),
    'eksctl-style throttles': baseline.throttles,
    'eksctl-style failed': baseline.failed,
  };
}

/** The calls per API of each run and rerun, printed under the table: where the requests go. */
const breakdowns: string[] = [];

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((value) => value > 0);
await warmUp();
const rows = [];
for (const count of sizes.length > 0 ? sizes : [100, 1000, 5000, 20000]) {
  rows.push(await benchOnce(count));
}
printTable(
  `apply on the simulator: latency ${LATENCY_MS} ms per call, rate limits ${JSON.stringify(RATE_LIMITS)}`,
  rows,
);
for (const line of breakdowns) console.log(line);
console.log(await bundleSizesLine('associations'));
