/** The check-addon task's contract: the input it accepts and the output it returns (its handler checks both). */

import { POD_IDENTITY_AGENT } from '../../core/addon.ts';
import { addonCheckDescriptor } from '../../core/shared-descriptors.ts';
import { requiredText } from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: requiredText(),
  addonName: z._default(requiredText(), POD_IDENTITY_AGENT),
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

/** Read by infra, the runner and the README: the same as check-cluster-readiness's. */
export const descriptor = addonCheckDescriptor;
