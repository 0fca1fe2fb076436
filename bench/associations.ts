/**
 * Benchmark: `apply` of N associations through the real workflow and handlers on the simulator,
 * with per-API rate limits and latency, and the SDK's production retry behaviour (adaptive, 8
 * attempts) rather than the tests' millisecond retries.
 *
 *   node --import tsx bench/associations.ts [N ...]     (default: 100 1000 5000)
 *
 * Prints, per N: wall time against the floor the rate limits set (calls made ÷ rate, for the
 * busiest limited API), state transitions and Lambda invocations per association, mutating calls
 * per association, throttles seen and items failed.
 */
import { stringify as stringifyYaml } from 'yaml';
import { configureAwsClients } from '../functions/aws/clients.ts';
import { runWorkflow } from '../local/runner/run-workflow.ts';
import { configBucketName, connectToSimulator } from '../local/runner/simulated-aws.ts';
import { parseWorld, startSimulator } from '../local/simulator/index.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ACCOUNT = '111122223333';
const REGION = 'us-west-2';
/** Requests per second per API: in the range EKS and IAM throttle at for one account. */
const RATE_LIMITS: Record<string, number> = {
  'eks:CreatePodIdentityAssociation': 50,
  'eks:DescribePodIdentityAssociation': 50,
  'eks:ListPodIdentityAssociations': 20,
  'iam:CreateRole': 20,
  'iam:AttachRolePolicy': 20,
  'iam:GetRole': 40,
};
const LATENCY_MS = 3;
/** Every tenth entry carries permissions, so the service creates its role; the rest name one. */
const MANAGED_EVERY = 10;

function benchWorld(): string {
  const trust = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      },
    ],
  };
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
    roles: [
      { name: 'automation', assumeRolePolicyDocument: trust },
      { name: 'shared-app-role', assumeRolePolicyDocument: trust },
    ],
    behaviour: { latencyMs: LATENCY_MS, rateLimits: RATE_LIMITS },
  });
}

function benchConfig(count: number): string {
  const entries = Array.from({ length: count }, (_, index) => {
    const base = { namespace: `team-${index % 50}`, serviceAccountName: `app-${index}` };
    return index % MANAGED_EVERY === 0
      ? { ...base, permissionPolicyARNs: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'] }
      : { ...base, roleARN: `arn:aws:iam::${ACCOUNT}:role/shared-app-role` };
  });
  return stringifyYaml({
    apiVersion: 'eksctl.io/v1alpha5',
    kind: 'ClusterConfig',
    metadata: { name: 'bench', region: REGION },
    iam: { podIdentityAssociations: entries },
  });
}

async function benchOnce(count: number) {
  const simulator = await startSimulator(parseWorld(benchWorld()));
  const disconnect = connectToSimulator(simulator);
  // Production retry behaviour: the point is how the workflow copes with real backoff.
  configureAwsClients({
    endpoint: simulator.url,
    region: REGION,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      sessionToken: process.env.AWS_SESSION_TOKEN,
    },
  });
  const bucket = configBucketName(ACCOUNT);
  const key = `apply/bench-${count}.yaml`;
  const store = simulator.state.world.buckets.find((candidate) => candidate.name === bucket);
  if (!store) throw new Error('the simulator did not provide the config bucket');
  store.objects[key] = benchConfig(count);

  let transitions = 0;
  let invocations = 0;
  const started = performance.now();
  const report = (await runWorkflow(
    'associations',
    { operation: 'apply', config: { s3: { bucket, key } } },
    {
      region: REGION,
      account: ACCOUNT,
      shortenWaits: true,
      onStateEntered: () => (transitions += 1),
      onTaskInvoked: () => (invocations += 1),
    },
  )) as { counts: Record<string, number> };
  const seconds = (performance.now() - started) / 1000;

  const served = new Map<string, number>();
  for (const call of simulator.calls) {
    if (call.status >= 400) continue;
    const name = `${call.service}:${call.operation}`;
    served.set(name, (served.get(name) ?? 0) + 1);
  }
  const floor = Math.max(
    ...Object.entries(RATE_LIMITS).map(([name, rate]) => (served.get(name) ?? 0) / rate),
  );
  const mutating = simulator.mutatingCalls().length;
  const throttles = [...simulator.throttled.values()].reduce((sum, value) => sum + value, 0);
  disconnect();
  await simulator.close();
  return {
    count,
    seconds,
    floor,
    transitions,
    invocations,
    mutating,
    throttles,
    created: report.counts.created ?? 0,
    failed: report.counts.failed ?? 0,
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
  'wall s',
  'floor s',
  'wall/floor',
  'transitions/assoc',
  'lambdas/assoc',
  'mutating/assoc',
  'throttles',
  'created',
  'failed',
];
console.log(
  `apply on the simulator: latency ${LATENCY_MS} ms per call, rate limits ${JSON.stringify(RATE_LIMITS)}`,
);
console.log(header.join('\t'));
for (const row of rows) {
  console.log(
    [
      row.count,
      row.seconds.toFixed(1),
      row.floor.toFixed(1),
      (row.seconds / row.floor).toFixed(2),
      (row.transitions / row.count).toFixed(3),
      (row.invocations / row.count).toFixed(3),
      (row.mutating / row.count).toFixed(2),
      row.throttles,
      row.created,
      row.failed,
    ].join('\t'),
  );
}
