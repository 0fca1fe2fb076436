/** The poll-cluster-status task's contract: the input it accepts and the output it returns (its handler checks both). */

import type { TaskDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  progress: z.string(),
  status: z.string(),
  arn: z.string(),
  version: z.string(),
  autoMode: z.boolean(),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 180,
    worstCase: {
      sequentialCalls: 1,
      throttledCalls: 1,
      waitSeconds: 0,
      why: 'One DescribeCluster, which may be throttled through its whole retry chain.',
    },
  },
  awsCalls: ['eks:DescribeCluster'],
  grants: ['describe-clusters'],
};
