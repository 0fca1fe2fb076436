/** The get-associations task's contract: the input it accepts and the output it returns (its handler checks both). */

import { runStepInput } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = runStepInput();

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  workflow: z.literal('associations'),
  operation: z.literal('get'),
  clusterName: z.string(),
  region: z.string(),
  count: z.int(),
  associations: z.array(
    z.object({ AssociationARN: z.string(), Namespace: z.string(), ServiceAccountName: z.string() }),
  ),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 900,
  worstCase: {
    sequentialCalls: 680,
    why: 'At 5,000 associations: 50 list pages, then 5,000 DescribePodIdentityAssociation 8 at a time (625 on the longest lane), then the pages written to the run store; one throttled.',
  },
  awsCalls: [
    'eks:DescribePodIdentityAssociation',
    'eks:ListPodIdentityAssociations',
    's3:GetObject',
    's3:PutObject',
  ],
  grants: ['run-documents:read-write', 'read-associations'],
};
