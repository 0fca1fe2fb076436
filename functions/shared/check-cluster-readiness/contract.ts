/** The check-cluster-readiness task's contract: the input it accepts and the output it returns (its handler checks both). */

import type { TaskDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
  operation: z.string().check(z.minLength(1)),
  entryCount: z.optional(z.int().check(z.minimum(0))),
  installsAgent: z.optional(z.boolean()),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  arn: z.string(),
  status: z.string(),
  version: z.string(),
  autoMode: z.boolean(),
  agentInstalled: z.boolean(),
  authenticationMode: z.string(),
  oidcIssuer: z.nullable(z.string()),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 180,
    worstCase: {
      sequentialCalls: 2,
      throttledCalls: 1,
      waitSeconds: 0,
      why: 'DescribeCluster then DescribeAddon; one of them throttled through its retry chain.',
    },
  },
  awsCalls: ['eks:DescribeAddon', 'eks:DescribeCluster'],
  grants: ['describe-clusters', 'describe-addons'],
};
