/** The read-cluster-event task's contract: the input it accepts and the output it returns (its handler checks both). */

import { noRequestDescriptor } from '../../core/shared-descriptors.ts';
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

/** Read by infra, the runner and the README. */
export const descriptor = /* @__PURE__ */ noRequestDescriptor(
  'Reshapes the CloudTrail event; no request.',
);
