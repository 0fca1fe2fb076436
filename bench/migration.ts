/**
 * Benchmark: an approved `migrate-to-pod-identity` run with OIDC trust removal over N IRSA
 * service accounts sharing N/10 roles, through the real workflow and handlers on the simulator,
 * with per-API rate limits and latency and the SDK's production retry behaviour (adaptive,
 * 8 attempts) rather than the tests' millisecond retries; then a rerun, which must make no
 * mutating call; then an eksctl-style baseline on a fresh world.
 *
 *   node --import tsx bench/migration.ts [N ...]     (default: 100 1000 5000 20000)
 *
 * The floor is what the rate limits allow for the calls the work cannot do without, per API:
 * iam:GetRole once per role (its trust must be read before it is written),
 * iam:UpdateAssumeRolePolicy twice per role (the Pod Identity trust before the associations, the
 * OIDC trust removed after them: two writes, since the safety order puts the associations between
 * them), eks:CreatePodIdentityAssociation and one annotation patch per service account, and
 * eks:ListPodIdentityAssociations once per page of existing associations. The busiest of these
 * bounds the run, since the limits are independent. The step floor adds up the floors of the
 * rate-limited writes, as a run that does each kind of write one step after the other would meet.
 * CloudFormation has a rate limit too (common.ts), though the floors need none of its calls.
 * Prints per N: wall time against both; reads, failed reads and writes per service account (every
 * request to EKS, IAM, Kubernetes, CloudFormation and STS whatever its answer, throttled attempts
 * apart; failed reads are those answered with an error, such as a 404); the run store's (S3) and
 * events' requests per service account apart; state transitions, Lambda invocations and history
 * events (as the local runner counts them against Step Functions' 25,000, the nested ensure-addon
 * run's added) per service account, and the longest history of one execution; throttles, migrated
 * and failed, the rerun's mutating calls; and the baseline's wall time, throttles and failures.
 * Under the table: the run's calls per API, and the bundle size of each task the workflow runs.
 */

import { CreatePodIdentityAssociationCommand } from '@aws-sdk/client-eks';
import { GetRoleCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { stringify as stringifyYaml } from 'yaml';
import { kubernetesApiFor, mergePatchServiceAccount } from '../functions/aws/kubernetes.ts';
import { decodePolicyDocument, statementsOf } from '../functions/core/policy-document.ts';
import { podIdentityTrustStatement, removeIrsaSubjects } from '../functions/core/trust-policy.ts';
import { runWorkflow } from '../local/runner/run-workflow.ts';
import { connectToSimulator } from '../local/runner/simulated-aws.ts';
import { parseWorld, startSimulator } from '../local/simulator/index.ts';
import { AUTOMATION_ROLE, irsaWorkloads } from '../local/simulator/synthetic-worlds.ts';
import {
  bundleSizesLine,
  CLOUDFORMATION_RATE_LIMITS,
  callStats,
  historyEvents,
  operationsLine,
  printTable,
  quietTasks,
  rolesQuotaFor,
  runEksctlStyle,
  seconds,
  simulatorCredentials,
  trueFloor,
  warmUp,
} from './common.ts';

quietTasks();

const ACCOUNT = '111122223333';
const REGION = 'us-west-2';
const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/BENCH';
/**
 * Requests per second per API: in the range EKS, IAM and the API server throttle at, and
 * CloudFormation's at the conservative rate common.ts explains.
 */
const RATE_LIMITS: Record<string, number> = {
  ...CLOUDFORMATION_RATE_LIMITS,
  'eks:CreatePodIdentityAssociation': 50,
  'eks:ListPodIdentityAssociations': 20,
  'iam:GetRole': 40,
  'iam:UpdateAssumeRolePolicy': 20,
  'iam:ListRoles': 10,
  'kubernetes:patch serviceaccounts': 50,
};
const LATENCY_MS = 3;
const AUTOMATION_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${AUTOMATION_ROLE.name}`;
/** Service accounts per role: teams share a role between their workloads. */
const SERVICE_ACCOUNTS_PER_ROLE = 10;

function workloadOptions(count: number) {
  return {
    account: ACCOUNT,
    issuer: ISSUER,
    count,
    perRole: SERVICE_ACCOUNTS_PER_ROLE,
    namespaces: 50,
    rolePrefix: 'app-role-',
  };
}

function benchWorld(count: number): string {
  const { provider, serviceAccounts, roles } = irsaWorkloads(workloadOptions(count));
  return stringifyYaml({
    account: ACCOUNT,
    region: REGION,
    caller: AUTOMATION_ROLE_ARN,
    clusters: [
      {
        name: 'bench',
        version: '1.31',
        oidcIssuer: `https://${ISSUER}`,
        // The caller may already reach the API server, so the baseline can patch annotations.
        accessEntries: [
          {
            principalArn: AUTOMATION_ROLE_ARN,
            policies: [
              {
                policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
                scope: 'cluster',
              },
            ],
          },
        ],
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
    // EKS allows 5,000 associations per cluster and IAM 1,000 roles per account; both raise
    // their quotas on request.
    quotas: {
      associationsPerCluster: Math.max(5000, count),
      roles: rolesQuotaFor(1 + roles.length),
    },
  });
}

function minimumCalls(count: number): Record<string, number> {
  const roles = Math.ceil(count / SERVICE_ACCOUNTS_PER_ROLE);
  return {
    'iam:GetRole': roles,
    'iam:UpdateAssumeRolePolicy': 2 * roles,
    'eks:CreatePodIdentityAssociation': count,
    'kubernetes:patch serviceaccounts': count,
    'eks:ListPodIdentityAssociations': 1,
  };
}

/** The floors of the rate-limited writes added up, as if each kind ran alone in its own step. */
function stepFloor(count: number): number {
  const calls = minimumCalls(count);
  return [
    'iam:UpdateAssumeRolePolicy',
    'eks:CreatePodIdentityAssociation',
    'kubernetes:patch serviceaccounts',
  ]
    .map((api) => (calls[api] ?? 0) / (RATE_LIMITS[api] ?? Infinity))
    .reduce((sum, value) => sum + value, 0);
}

async function migrateOnce(count: number) {
  const simulator = await startSimulator(parseWorld(benchWorld(count)));
  // Production retry behaviour: the point is how the workflow copes with real backoff.
  const disconnect = connectToSimulator(simulator, { retries: 'production' });
  const input = { clusterName: 'bench', approve: true, removeOidcProviderTrustRelationship: true };
  const options = { region: REGION, account: ACCOUNT, shortenWaits: true };
  let transitions = 0;
  let invocations = 0;
  const history = historyEvents();
  const started = performance.now();
  const report = (await runWorkflow('migrate-to-pod-identity', input, {
    ...options,
    onStateEntered: () => (transitions += 1),
    onTaskInvoked: () => (invocations += 1),
    onHistoryEvents: history.onHistoryEvents,
  })) as { counts: { serviceAccounts: Record<string, number> } };
  const wall = seconds(started);
  const calls = callStats(simulator);
  const mutating = simulator.mutatingCalls().length;
  await runWorkflow('migrate-to-pod-identity', input, options);
  const rerunMutating = simulator.mutatingCalls().length - mutating;
  disconnect();
  await simulator.close();
  return {
    seconds: wall,
    transitions,
    invocations,
    history: history.tally,
    calls,
    migrated: report.counts.serviceAccounts.migrated ?? 0,
    failed: report.counts.serviceAccounts.failed ?? 0,
    rerunMutating,
  };
}

/**
 * eksctl's way: every role at once (its task tree runs in parallel goroutines), each with the
 * SDK's standard retry and 3 attempts: add the Pod Identity trust, create its service accounts'
 * associations, remove their annotations, then remove their OIDC trust. The annotation patches go
 * through this project's Kubernetes client, so only the AWS side is eksctl's.
 */
async function eksctlBaseline(count: number) {
  const simulator = await startSimulator(parseWorld(benchWorld(count)));
  const kubernetes = await kubernetesApiFor(
    { name: 'bench', endpoint: `${simulator.url}/k8s/bench` },
    { region: REGION, credentials: simulatorCredentials(simulator), stsEndpoint: simulator.url },
  );
  const { roles, serviceAccounts } = irsaWorkloads(workloadOptions(count));
  const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER}`;
  return runEksctlStyle(simulator, REGION, ({ iam, eks }) => {
    const readTrust = async (roleName: string) =>
      decodePolicyDocument(
        (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role
          ?.AssumeRolePolicyDocument ?? '',
      );
    return roles.map(async (role) => {
      const trust = await readTrust(role.name);
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: role.name,
          PolicyDocument: JSON.stringify({
            ...trust,
            Statement: [...statementsOf(trust), podIdentityTrustStatement()],
          }),
        }),
      );
      const own = serviceAccounts.filter((sa) =>
        sa.annotations['eks.amazonaws.com/role-arn'].endsWith(`/${role.name}`),
      );
      await Promise.all(
        own.map((sa) =>
          eks.send(
            new CreatePodIdentityAssociationCommand({
              clusterName: 'bench',
              namespace: sa.namespace,
              serviceAccount: sa.name,
              roleArn: `arn:aws:iam::${ACCOUNT}:role/${role.name}`,
            }),
          ),
        ),
      );
      await Promise.all(
        own.map((sa) =>
          mergePatchServiceAccount(kubernetes, sa.namespace, sa.name, {
            metadata: { annotations: { 'eks.amazonaws.com/role-arn': null } },
          }),
        ),
      );
      const removal = removeIrsaSubjects(
        await readTrust(role.name),
        provider,
        own.map((sa) => ({ namespace: sa.namespace, serviceAccount: sa.name })),
      );
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: role.name,
          PolicyDocument: JSON.stringify(removal.document),
        }),
      );
    });
  });
}

async function benchOnce(count: number) {
  const run = await migrateOnce(count);
  const baseline = await eksctlBaseline(count);
  const floor = trueFloor(minimumCalls(count), RATE_LIMITS);
  const steps = stepFloor(count);
  const per = (value: number) => (value / count).toFixed(3);
  breakdowns.push(
    `run of ${count}, calls per API: ${operationsLine(run.calls.byOperation, count)}`,
  );
  return {
    N: count,
    roles: Math.ceil(count / SERVICE_ACCOUNTS_PER_ROLE),
    'floor s': `${floor.seconds.toFixed(1)} (${floor.api})`,
    'wall s': run.seconds.toFixed(1),
    'wall/floor': (run.seconds / floor.seconds).toFixed(2),
    'step floor s': steps.toFixed(1),
    'wall/step floor': (run.seconds / steps).toFixed(2),
    'reads/sa': per(run.calls.reads),
    'failed reads/sa': per(run.calls.failedReads),
    'writes/sa': per(run.calls.writes),
    'run-store+events calls/sa': per(run.calls.bookkeeping),
    'transitions/sa': per(run.transitions),
    'lambdas/sa': per(run.invocations),
    'history events/sa': per(run.history.total),
    'longest history': run.history.longest.events,
    throttles: run.calls.throttles,
    migrated: run.migrated,
    failed: run.failed,
    'rerun mutating': run.rerunMutating,
    'eksctl-style wall s': baseline.seconds.toFixed(1),
    'eksctl-style wall/floor': (baseline.seconds / floor.seconds).toFixed(2),
    'eksctl-style throttles': baseline.throttles,
    'eksctl-style failed roles': baseline.failed,
  };
}

/** The run's calls per API, printed under the table: where its requests go. */
const breakdowns: string[] = [];

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((value) => value > 0);
await warmUp();
const rows = [];
for (const count of sizes.length > 0 ? sizes : [100, 1000, 5000, 20000])
  rows.push(await benchOnce(count));
printTable(
  `approved migration with OIDC trust removal on the simulator: latency ${LATENCY_MS} ms per call, rate limits ${JSON.stringify(RATE_LIMITS)}`,
  rows,
);
for (const line of breakdowns) console.log(line);
console.log(await bundleSizesLine('migrate-to-pod-identity'));
