/** Shared setup of the simulated-EKS fidelity tests: a simulator serving EKS and a real client. */
import assert from 'node:assert/strict';
import { EKSClient, type EKSClientConfig } from '@aws-sdk/client-eks';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { Simulator } from '../../../local/simulator/server.ts';
import { eksService } from '../../../local/simulator/services/eks.ts';
import { parseWorld, type World } from '../../../local/simulator/world.ts';

export async function startEks(world: string | World, config: Partial<EKSClientConfig> = {}) {
  const sim = await new Simulator(typeof world === 'string' ? parseWorld(world) : world, [
    eksService,
  ]).start();
  const eks = new EKSClient({
    endpoint: sim.url,
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated' },
    retryStrategy: new ConfiguredRetryStrategy(4, (attempt) => 5 * attempt),
    ...config,
  });
  return { sim, eks };
}

/** The call fails with this SDK exception name and HTTP status (and message, when given). */
export async function expectAwsError(
  promise: Promise<unknown>,
  name: string,
  status: number,
  message?: RegExp,
) {
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (message) assert.match(error.message, message);
    return true;
  });
}
