/** The create-addon task's contract: the input it accepts and the output it returns (its handler checks both). */

import { POD_IDENTITY_AGENT } from '../../core/addon.ts';
import { requiredText } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: requiredText(),
  addonName: z._default(requiredText(), POD_IDENTITY_AGENT),
  addonVersion: z.optional(requiredText()),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  /** False when another actor created the add-on first; the workflow then just waits for it. */
  created: z.boolean(),
  version: z.string(),
  status: z.string(),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 180,
  worstCase: {
    sequentialCalls: 4,
    why: 'DescribeCluster, DescribeAddonVersions, CreateAddon, DescribeAddon; one throttled.',
  },
  awsCalls: [
    'eks:CreateAddon',
    'eks:DescribeAddon',
    'eks:DescribeAddonVersions',
    'eks:DescribeCluster',
  ],
  grants: ['install-addons'],
};
