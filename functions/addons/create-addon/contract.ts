/** The create-addon task's contract: the input it accepts and the output it returns (its handler checks both). */

import { POD_IDENTITY_AGENT } from '../../core/addon.ts';
import type { TaskDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: z.string().check(z.minLength(1)),
  addonName: z._default(z.string().check(z.minLength(1)), POD_IDENTITY_AGENT),
  addonVersion: z.optional(z.string().check(z.minLength(1))),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  /** False when another actor created the add-on first; the workflow then just waits for it. */
  created: z.boolean(),
  version: z.string(),
  status: z.string(),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 180,
    worstCase: {
      sequentialCalls: 4,
      throttledCalls: 1,
      waitSeconds: 0,
      why: 'DescribeCluster, DescribeAddonVersions, CreateAddon, DescribeAddon; one throttled.',
    },
  },
  awsCalls: [
    'eks:CreateAddon',
    'eks:DescribeAddon',
    'eks:DescribeAddonVersions',
    'eks:DescribeCluster',
  ],
  grants: ['install-addons'],
};
