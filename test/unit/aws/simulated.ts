/**
 * Starts a simulator from a world and points this process's AWS clients at it, as the local
 * runner does, so the adapters run unchanged against it through the real SDK.
 */
import type { PolicyDocument } from '../../../functions/core/policy-document.ts';
import { connectToSimulator } from '../../../local/runner/simulated-aws.ts';
import {
  type CallRecord,
  parseWorld,
  type Simulator,
  startSimulator,
} from '../../../local/simulator/index.ts';

export const ACCOUNT = '111122223333';

export const WORLD_HEADER = `account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
`;

export interface Simulated {
  sim: Simulator;
  /** The calls served after `since` (an index into `sim.calls`), optionally of one operation. */
  callsSince(since: number, operation?: string): CallRecord[];
  stop(): Promise<void>;
}

/** `world` is YAML or JSON text, or an object (serialised as JSON, which YAML also reads). */
export async function simulate(world: string | object): Promise<Simulated> {
  const text = typeof world === 'string' ? world : JSON.stringify(world);
  const sim = await startSimulator(parseWorld(text));
  const disconnect = connectToSimulator(sim);
  return {
    sim,
    callsSince: (since, operation) =>
      sim.calls
        .slice(since)
        .filter((call) => operation === undefined || call.operation === operation),
    async stop() {
      disconnect();
      await sim.close();
    },
  };
}

/** A trust policy any role of the world may carry. */
export const POD_IDENTITY_TRUST: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
};
