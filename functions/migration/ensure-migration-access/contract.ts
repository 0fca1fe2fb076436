/** The ensure-migration-access task's contract: the input it accepts and the output it returns (its handler checks both). */

import { reportAccessSchema } from '../../core/associations/report.ts';
import { DISCOVERY_MODES } from '../../core/migration/discovery-modes.ts';
import { ownAccessEntryDescriptor } from '../../core/shared-descriptors.ts';
import { requiredText } from '../../core/task-contract.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: requiredText(),
  purpose: z.enum(['read', 'write']),
  discovery: z.enum(DISCOVERY_MODES),
  namespaces: z.array(requiredText()),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  granted: z.boolean(),
  changed: z.boolean(),
  access: z.optional(reportAccessSchema),
  warning: z.optional(z.string()),
});

/** Read by infra, the runner and the README: the same as the other ensure-*-access task's but for its role and access. */
export const descriptor = /* @__PURE__ */ ownAccessEntryDescriptor(
  'MigrationKubernetes',
  'own-access-entry:view-or-edit',
);
