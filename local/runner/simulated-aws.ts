/**
 * Points this process's AWS clients at a running simulator: the environment (for anything that
 * reads it, such as the region or the Kubernetes token signer) and the cached SDK clients.
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { configureAwsClients } from '../../functions/aws/clients.ts';
import type { Simulator } from '../simulator/index.ts';

/**
 * Retries as many times as the deployed clients do, but milliseconds apart: the simulator's
 * throttling is about proving retries happen, not about waiting for real token buckets to refill.
 */
const SIMULATOR_RETRY_ATTEMPTS = 8;

export function connectToSimulator(simulator: Simulator): () => void {
  const env = simulator.env();
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
    retryStrategy: new ConfiguredRetryStrategy(SIMULATOR_RETRY_ATTEMPTS, (attempt) => 5 * attempt),
  });
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    configureAwsClients({});
  };
}
