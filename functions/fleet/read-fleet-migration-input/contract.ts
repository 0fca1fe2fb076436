/** The read-fleet-migration-input task's contract: the input it accepts and the output it returns (its handler checks both). */

import { DISCOVERY_MODES } from '../../core/migration/discovery-modes.ts';
import { noRequestDescriptor } from '../../core/shared-descriptors.ts';
import { fleetSelection, runRequestInput } from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

export const input = runRequestInput();

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  selector: z.string(),
  selection: fleetSelection(),
  migration: z.object({
    region: z.string(),
    approve: z.boolean(),
    removeOidcProviderTrustRelationship: z.boolean(),
    discovery: z.enum(DISCOVERY_MODES),
    namespaces: z.optional(z.array(z.string())),
    allowStackDrift: z.boolean(),
  }),
});

/** Read by infra, the runner and the README. */
export const descriptor = /* @__PURE__ */ noRequestDescriptor(
  'Validates the input (the selector and the migration options); no request.',
);
