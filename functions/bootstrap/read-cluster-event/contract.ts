/** The read-cluster-event task's contract: the input it accepts and the output it returns (its handler checks both). */

import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.object({ input: z.unknown() });

/** What the task returns, checked before the workflow gets it. */
export const output = z.discriminatedUnion('ignored', [
  z.object({
    ignored: z.literal(false),
    clusterName: z.string(),
    region: z.string(),
    trigger: z.looseObject({}),
  }),
  z.object({
    ignored: z.literal(true),
    reason: z.string(),
    clusterName: z.nullable(z.string()),
    region: z.nullable(z.string()),
  }),
]);

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 30,
  worstCase: {
    sequentialCalls: 0,
    why: 'Reshapes the CloudTrail event; no request.',
  },
  awsCalls: [],
  grants: [],
};
