/**
 * Benchmark: an approved `migrate-to-pod-identity` run with OIDC trust removal over N IRSA
 * service accounts sharing N/10 roles, through the real workflow and handlers on the simulator,
 * with per-API rate limits and latency and the SDK's production retry behaviour (adaptive,
 * 8 attempts) rather than the tests' millisecond retries. Each run is followed by a rerun, which
 * must make no mutating call.
 *
 *   node --import tsx bench/migration.ts [N ...]     (default: 100 1000 5000)
 *
 * Prints, per N: wall time against the floor the rate limits set (calls made ÷ rate, for the
 * busiest limited API) and against the step floor (the workflow writes trust policies, then
 * associations, then annotations, then trust policies again, one step after the other, so the
 * floors of those writes add up), state transitions and Lambda invocations per service account,
 * mutating calls per service account, throttles seen, service accounts migrated and failed, and
 * the rerun's mutating calls.
 */
import { stringify as stringifyYaml } from 'yaml';
import { runWorkflow } from '../local/runner/run-workflow.ts';
import { connectToSimulator } from '../local/runner/simulated-aws.ts';
import { parseWorld, startSimulator } from '../local/simulator/index.ts';
import { AUTOMATION_ROLE, irsaWorkloads } from '../local/simulator/synthetic-worlds.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// The tasks' EMF metric lines would mix into the printed figures.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ACCOUNT = '111122223333';
const REGION = 'us-west-2';
const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/BENCH';
/** Requests per second per API: in the range EKS, IAM and the API server throttle at. */
const RATE_LIMITS: Record<string, number> = {
  'eks:CreatePodIdentityAssociation': 50,
  'eks:ListPodIdentityAssociations': 20,
  'iam:GetRole': 40,
  'iam:UpdateAssumeRolePolicy': 20,
  'iam:ListRoles': 10,
  'kubernetes:patch serviceaccounts': 50,
};
/** The rate-limited writes of the apply steps, which never run at the same time. */
const SEQUENTIAL_WRITES = [
  'iam:UpdateAssumeRolePolicy',
  'eks:CreatePodIdentityAssociation',
  'kubernetes:patch serviceaccounts',
];
const LATENCY_MS = 3;
/** Service accounts per role: teams share a role between their workloads. */
const SERVICE_ACCOUNTS_PER_ROLE = 10;

function benchWorld(count: number): string {
  const { provider, serviceAccounts, roles } = irsaWorkloads({
    account: ACCOUNT,
    issuer: ISSUER,
    count,
    perRole: SERVICE_ACCOUNTS_PER_ROLE,
    namespaces: 50,
    rolePrefix: 'app-role-',
  });
  return stringifyYaml({
    account: ACCOUNT,
    region: REGION,
    caller: `arn:aws:iam::${ACCOUNT}:role/automation`,
    clusters: [
      {
        name: 'bench',
        version: '1.31',
        oidcIssuer: `https://${ISSUER}`,
        serviceAccounts,
        pods: serviceAccounts.map((sa) => ({
          namespace: sa.namespace,
          name: `${sa.name}-0`,
          serviceAccount: sa.name,
        })),
      },
    ],
    openIdConnectProviders: [provider],
    roles: [AUTOMATION_ROLE, ...roles],
    behaviour: { latencyMs: LATENCY_MS, rateLimits: RATE_LIMITS },
  });
}

async function benchOnce(count: number) {
  const simulator = await startSimulator(parseWorld(benchWorld(count)));
  // Production retry behaviour: the point is how the workflow copes with real backoff.
  const disconnect = connectToSimulator(simulator, { retries: 'production' });
  const input = { clusterName: 'bench', approve: true, removeOidcProviderTrustRelationship: true };
  const options = { region: REGION, account: ACCOUNT, shortenWaits: true };

  let transitions = 0;
  let invocations = 0;
  const started = performance.now();
  const report = (await runWorkflow('migrate-to-pod-identity', input, {
    ...options,
    onStateEntered: () => (transitions += 1),
    onTaskInvoked: () => (invocations += 1),
  })) as { counts: { serviceAccounts: Record<string, number> } };
  const seconds = (performance.now() - started) / 1000;

  const served = new Map<string, number>();
  for (const call of simulator.calls) {
    if (call.status >= 400) continue;
    const name = `${call.service}:${call.operation}`;
    served.set(name, (served.get(name) ?? 0) + 1);
  }
  const floorOf = (name: string) => (served.get(name) ?? 0) / (RATE_LIMITS[name] ?? Infinity);
  const floor = Math.max(...Object.keys(RATE_LIMITS).map(floorOf));
  const stepFloor = SEQUENTIAL_WRITES.reduce((sum, name) => sum + floorOf(name), 0);
  const mutating = simulator.mutatingCalls().length;
  const throttles = [...simulator.throttled.values()].reduce((sum, value) => sum + value, 0);

  await runWorkflow('migrate-to-pod-identity', input, options);
  const rerunMutating = simulator.mutatingCalls().length - mutating;
  disconnect();
  await simulator.close();
  return {
    count,
    roles: Math.ceil(count / SERVICE_ACCOUNTS_PER_ROLE),
    seconds,
    floor,
    stepFloor,
    transitions,
    invocations,
    mutating,
    throttles,
    migrated: report.counts.serviceAccounts.migrated ?? 0,
    failed: report.counts.serviceAccounts.failed ?? 0,
    rerunMutating,
  };
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((value) => value > 0);
const rows = [];
for (const count of sizes.length > 0 ? sizes : [100, 1000, 5000]) rows.push(await benchOnce(count));

const header = [
  'N',
  'roles',
  'wall s',
  'floor s',
  'wall/floor',
  'step floor s',
  'wall/step floor',
  'transitions/sa',
  'lambdas/sa',
  'mutating/sa',
  'throttles',
  'migrated',
  'failed',
  'rerun mutating',
];
console.log(
  `approved migration with OIDC trust removal on the simulator: latency ${LATENCY_MS} ms per call, rate limits ${JSON.stringify(RATE_LIMITS)}`,
);
console.log(header.join('\t'));
for (const row of rows) {
  console.log(
    [
      row.count,
      row.roles,
      row.seconds.toFixed(1),
      row.floor.toFixed(1),
      (row.seconds / row.floor).toFixed(2),
      row.stepFloor.toFixed(1),
      (row.seconds / row.stepFloor).toFixed(2),
      (row.transitions / row.count).toFixed(3),
      (row.invocations / row.count).toFixed(3),
      (row.mutating / row.count).toFixed(2),
      row.throttles,
      row.migrated,
      row.failed,
      row.rerunMutating,
    ].join('\t'),
  );
}
