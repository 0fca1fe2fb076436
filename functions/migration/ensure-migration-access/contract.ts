/** The ensure-migration-access task's contract: the input it accepts and the output it returns (its handler checks both). */

import { reportAccessSchema } from '../../core/associations/report.ts';
import { DISCOVERY_MODES } from '../../core/migration/discovery-modes.ts';
import { ownAccessEntryCalls, ownAccessEntryWorstCase } from '../../core/shared-descriptors.ts';
import { requiredText } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
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

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 180,
  worstCase: ownAccessEntryWorstCase,
  sharedRole: 'MigrationKubernetes',
  awsCalls: ownAccessEntryCalls,
  grants: ['own-access-entry:view-or-edit', 'own-identity'],
};
