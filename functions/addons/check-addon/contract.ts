/** The check-addon task's contract: the input it accepts and the output it returns (its handler checks both). */

import { POD_IDENTITY_AGENT } from '../../core/addon.ts';
import type { TaskDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: z.string().check(z.minLength(1)),
  addonName: z._default(z.string().check(z.minLength(1)), POD_IDENTITY_AGENT),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  clusterName: z.string(),
  addonName: z.string(),
  state: z.string(),
  reason: z.string(),
  status: z.nullable(z.string()),
  version: z.nullable(z.string()),
  autoMode: z.boolean(),
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
