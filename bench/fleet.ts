/**
 * Benchmark: one fleet config applied to C clusters of N associations each through the real
 * fleet-associations workflow (and its nested associations runs) on the simulator, with the
 * associations bench's per-API rate limits, latency and production SDK retries; then the same
 * run again on the world it left (a rerun that must change nothing).
 *
 *   node --import tsx bench/fleet.ts [CxN ...]     (default: 10x500)
 *
 * The rate limits (the associations bench's, bench/association-world.ts) are the account's, shared by every cluster, so the floor is the associations
 * floor for C × N associations: eks:CreatePodIdentityAssociation once per association,
 * iam:CreateRole and iam:AttachRolePolicy once per role the service creates (one entry in eleven),
 * iam:GetRole once per cluster for the shared role, eks:ListPodIdentityAssociations once per
 * cluster, and eks:ListClusters once. Prints wall time and wall ÷ floor; reads, failed reads and
 * writes per association (every request to EKS, IAM, Kubernetes, CloudFormation and STS whatever
 * its answer, throttled attempts apart; the run store's and events' requests are not counted);
 * state transitions, Lambda invocations and history events per association (the nested runs'
 * included; the history as the local runner counts it against Step Functions' 25,000), the
 * longest history of one execution, the largest state input any state received, throttles,
 * created and failed items and failed clusters; the rerun's wall time, reads and failed reads per
 * association and changes; an eksctl-style baseline on a fresh world (every cluster's entries at
 * once, the SDK's standard retry with 3 attempts): its wall time, throttles and failed entries;
 * and, under the table, the bundle size of each task the workflow runs (the nested associations
 * workflow's included).
 */
import { stringify as stringifyYaml } from 'yaml';
import type { FleetReport } from '../functions/core/fleet/report.ts';
import { runWorkflow } from '../local/runner/run-workflow.ts';
import { configBucketName, connectToSimulator } from '../local/runner/simulated-aws.ts';
import { parseWorld, type Simulator, startSimulator } from '../local/simulator/index.ts';
import { AUTOMATION_ROLE } from '../local/simulator/synthetic-worlds.ts';
import {
  ACCOUNT,
  associationEntries,
  eksctlCreate,
  LATENCY_MS,
  RATE_LIMITS,
  REGION,
  SHARED_ROLE,
} from './association-world.ts';
import {
  bundleSizesLine,
  callStats,
  historyEvents,
  markCalls,
  printTable,
  quietTasks,
  rolesQuotaFor,
  runEksctlStyle,
  seconds,
  trueFloor,
  warmUp,
} from './common.ts';

quietTasks();

/**
 * One entry in eleven per cluster gets a role of its own (one in ten in the associations bench):
 * the roles of every cluster count against the account's one roles quota, and at 100 × 500 one in
 * ten would make 5,002 roles, more than IAM allows an account (5,000 at most, on request).
 */
const FLEET_MANAGED_EVERY = 11;

function clusterName(index: number): string {
  return `fleet-${String(index).padStart(3, '0')}`;
}

function benchWorld(clusters: number, perCluster: number): string {
  return stringifyYaml({
    account: ACCOUNT,
    region: REGION,
    caller: `arn:aws:iam::${ACCOUNT}:role/automation`,
    clusters: Array.from({ length: clusters }, (_, index) => ({
      name: clusterName(index),
      version: '1.31',
      addons: [{ name: 'eks-pod-identity-agent', version: 'v1.3.4-eksbuild.1' }],
      tags: { env: 'bench' },
    })),
    roles: [AUTOMATION_ROLE, SHARED_ROLE],
    // Each cluster's entries with permissions get their own role.
    quotas: { roles: rolesQuotaFor(2 + clusters * Math.ceil(perCluster / FLEET_MANAGED_EVERY)) },
    behaviour: { latencyMs: LATENCY_MS, rateLimits: RATE_LIMITS },
  });
}

/** The fleet config: N entries for every cluster tagged env=bench; one in eleven gets its own role. */
function fleetConfig(perCluster: number): string {
  return stringifyYaml({
    apiVersion: 'eksctl.io/v1alpha5',
    kind: 'ClusterConfig',
    fleet: { tags: { env: 'bench' } },
    iam: {
      podIdentityAssociations: associationEntries(perCluster, FLEET_MANAGED_EVERY),
    },
  });
}

function minimumCalls(clusters: number, perCluster: number): Record<string, number> {
  const managed = clusters * Math.ceil(perCluster / FLEET_MANAGED_EVERY);
  return {
    'eks:CreatePodIdentityAssociation': clusters * perCluster,
    'iam:CreateRole': managed,
    'iam:AttachRolePolicy': managed,
    'iam:GetRole': clusters,
    'eks:ListPodIdentityAssociations': clusters,
    'eks:ListClusters': 1,
  };
}

async function runOnce(simulator: Simulator, key: string) {
  let transitions = 0;
  let invocations = 0;
  let largestState = { bytes: 0, state: 'none' };
  const history = historyEvents();
  const mark = markCalls(simulator);
  const started = performance.now();
  const report = (await runWorkflow(
    'fleet-associations',
    { config: { s3: { bucket: configBucketName(ACCOUNT), key } } },
    {
      region: REGION,
      account: ACCOUNT,
      shortenWaits: true,
      onStateEntered: () => (transitions += 1),
      onTaskInvoked: () => (invocations += 1),
      onHistoryEvents: history.onHistoryEvents,
      onStateData: (state, _direction, bytes) => {
        if (bytes > largestState.bytes) largestState = { bytes, state };
      },
    },
  )) as FleetReport;
  return {
    seconds: seconds(started),
    transitions,
    invocations,
    largestState,
    history: history.tally,
    calls: callStats(simulator, mark),
    report,
  };
}

/**
 * eksctl's way over a fleet: `eksctl create podidentityassociation -f` for every cluster at once
 * (a script starting one per cluster), each creating all its entries at once, with the SDK's
 * standard retry and 3 attempts.
 */
async function eksctlBaseline(clusters: number, perCluster: number) {
  const simulator = await startSimulator(parseWorld(benchWorld(clusters, perCluster)));
  return runEksctlStyle(simulator, REGION, (clients) =>
    Array.from({ length: clusters }, (_, index) => clusterName(index)).flatMap((cluster) =>
      associationEntries(perCluster, FLEET_MANAGED_EVERY).map((entry) =>
        eksctlCreate(clients, cluster, entry),
      ),
    ),
  );
}

async function benchOnce(clusters: number, perCluster: number) {
  const simulator = await startSimulator(parseWorld(benchWorld(clusters, perCluster)));
  // Production retry behaviour: the point is how the workflows cope with real backoff.
  const disconnect = connectToSimulator(simulator, { retries: 'production' });
  const store = simulator.state.world.buckets.find(
    (candidate) => candidate.name === configBucketName(ACCOUNT),
  );
  if (!store) throw new Error('the simulator did not provide the config bucket');
  const key = `fleet/bench-${clusters}x${perCluster}.yaml`;
  store.objects[key] = fleetConfig(perCluster);
  const run = await runOnce(simulator, key);
  printFailedClusters('run', run.report);
  const mutatingBefore = simulator.mutatingCalls().length;
  const rerun = await runOnce(simulator, key);
  printFailedClusters('rerun', rerun.report);
  const rerunChanges = simulator.mutatingCalls().length - mutatingBefore;
  disconnect();
  await simulator.close();
  const baseline = await eksctlBaseline(clusters, perCluster);
  const total = clusters * perCluster;
  const floor = trueFloor(minimumCalls(clusters, perCluster), RATE_LIMITS);
  const per = (value: number) => (value / total).toFixed(3);
  return {
    fleet: `${clusters}x${perCluster}`,
    associations: total,
    'floor s': `${floor.seconds.toFixed(1)} (${floor.api})`,
    'wall s': run.seconds.toFixed(1),
    'wall/floor': (run.seconds / floor.seconds).toFixed(2),
    'reads/assoc': per(run.calls.reads),
    'failed reads/assoc': per(run.calls.failedReads),
    'writes/assoc': per(run.calls.writes),
    'transitions/assoc': per(run.transitions),
    'lambdas/assoc': per(run.invocations),
    'history events/assoc': per(run.history.total),
    'longest history': `${run.history.longest.events} (${run.history.longest.workflow})`,
    'largest state KiB': `${(run.largestState.bytes / 1024).toFixed(1)} (${run.largestState.state})`,
    throttles: run.calls.throttles,
    created: run.report.counts.created,
    failed: run.report.counts.failed,
    'failed clusters': run.report.clusterCounts.failed,
    'rerun wall s': rerun.seconds.toFixed(1),
    'rerun reads/assoc': per(rerun.calls.reads),
    'rerun failed reads/assoc': per(rerun.calls.failedReads),
    'rerun unchanged': rerun.report.counts.unchanged,
    'rerun failed': rerun.report.counts.failed,
    'rerun failed clusters': rerun.report.clusterCounts.failed,
    'rerun changes': rerunChanges,
    'eksctl-style wall s': baseline.seconds.toFixed(1),
    'eksctl-style wall/floor': (baseline.seconds / floor.seconds).toFixed(2),
    'eksctl-style throttles': baseline.throttles,
    'eksctl-style failed': baseline.failed,
  };
}

/** Why each failed cluster failed, so a failure in a long run can be told apart from a slow machine. */
function printFailedClusters(label: string, report: FleetReport): void {
  for (const cluster of report.clusters.filter((candidate) => candidate.result === 'failed')) {
    console.log(`${label}: ${cluster.clusterName} failed: ${cluster.reason}`);
  }
}

const sizes = process.argv
  .slice(2)
  .map((arg) => arg.split('x').map(Number))
  .filter(([clusters, perCluster]) => (clusters ?? 0) > 0 && (perCluster ?? 0) > 0);
await warmUp();
const rows = [];
for (const [clusters = 10, perCluster = 500] of sizes.length > 0 ? sizes : [[10, 500]]) {
  rows.push(await benchOnce(clusters, perCluster));
}
printTable(
  `fleet apply on the simulator: latency ${LATENCY_MS} ms per call, rate limits ${JSON.stringify(RATE_LIMITS)}`,
  rows,
);
console.log(await bundleSizesLine('fleet-associations'));
