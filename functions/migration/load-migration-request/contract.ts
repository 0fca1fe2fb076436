/** The load-migration-request task's contract: the input it accepts and the output it returns (its handler checks both). */

import { noRequestDescriptor } from '../../core/shared-descriptors.ts';
import { runRequestInput } from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

export const input = runRequestInput();

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  runId: z.string(),
  operation: z.string(),
  clusterName: z.string(),
  region: z.string(),
  approve: z.boolean(),
  removeOidcProviderTrustRelationship: z.boolean(),
});

/** Read by infra, the runner and the README. */
export const descriptor = /* @__PURE__ */ noRequestDescriptor('Validates the input; no request.');
