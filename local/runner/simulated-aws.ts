/**
 * Points this process's AWS clients at a running simulator: the environment (for anything that
 * reads it, such as the region or the Kubernetes token signer) and the cached SDK clients.
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { configureAwsClients } from '../../functions/aws/clients.ts';
import { configureRoleVisibilityRetry } from '../../functions/aws/eks-associations.ts';
import { configurePolling } from '../../functions/aws/polling.ts';
import type { Simulator } from '../simulator/index.ts';

/**
 * Retries as many times as the deployed clients do, but milliseconds apart: the simulator's
 * throttling is about proving retries happen, not about waiting for real token buckets to refill.
 */
const SIMULATOR_RETRY_ATTEMPTS = 8;

/** The config bucket the deployed stack creates; the simulator provides it the same way. */
export function configBucketName(account: string): string {
  return `eks-pia-configs-${account}`;
}

export interface SimulatorConnection {
  /**
   * `simulator` (the default): the SDK clients retry {@link SIMULATOR_RETRY_ATTEMPTS} times,
   * milliseconds apart. `production`: the deployed clients' own retry (adaptive, with backoff in
   * seconds), for runs that must show the real backoff absorbs the simulator's rate limits.
   * Either way the project's own waits for simulated consistency stay short, since the simulator
   * counts those in calls rather than seconds.
   */
  retries?: 'simulator' | 'production';
}

export function connectToSimulator(
  simulator: Simulator,
  { retries = 'simulator' }: SimulatorConnection = {},
): () => void {
  const bucket = configBucketName(simulator.state.account);
  if (!simulator.state.world.buckets.some((candidate) => candidate.name === bucket)) {
    simulator.state.world.buckets.push({ name: bucket, objects: {} });
  }
  const env: Record<string, string> = { ...simulator.env(), CONFIG_BUCKET: bucket };
  const previous = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  configureAwsClients({
    endpoint: simulator.url,
    region: env.AWS_REGION,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
      sessionToken: env.AWS_SESSION_TOKEN,
    },
    ...(retries === 'simulator'
      ? {
          retryStrategy: () =>
            new ConfiguredRetryStrategy(SIMULATOR_RETRY_ATTEMPTS, (attempt) => 5 * attempt),
        }
      : {}),
  });
  // New roles become visible to the simulated EKS after a few calls, not after seconds.
  configureRoleVisibilityRetry({ baseDelayMs: 5, maxDelayMs: 20 });
  // Stack and add-on operations settle after a few describe calls, not minutes.
  configurePolling({ intervalMs: 5, maxWaitMs: 30_000, settleWaitMs: 250 });
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    configureAwsClients({});
    configureRoleVisibilityRetry();
    configurePolling();
  };
}
