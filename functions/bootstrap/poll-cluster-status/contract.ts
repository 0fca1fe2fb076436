/** The poll-cluster-status task's contract: the input it accepts and the output it returns (its handler checks both). */

import { clusterFields } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject(clusterFields());

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  progress: z.string(),
  status: z.string(),
  arn: z.string(),
  version: z.string(),
  autoMode: z.boolean(),
  tags: z.record(z.string(), z.string()),
});

export type Input = z.infer<typeof input>;

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 180,
  worstCase: {
    sequentialCalls: 1,
    why: 'One DescribeCluster, which may be throttled through its whole retry chain.',
  },
  awsCalls: ['eks:DescribeCluster'],
  grants: ['describe-clusters'],
};
