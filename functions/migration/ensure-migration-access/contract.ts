/** The ensure-migration-access task's contract: the input it accepts and the output it returns (its handler checks both). */

import * as z from 'zod';
import { reportAccessSchema } from '../../core/associations/report.ts';
import { DISCOVERY_MODES } from '../../core/migration/request.ts';

export const input = z.looseObject({
  clusterName: z.string().min(1),
  purpose: z.enum(['read', 'write']),
  discovery: z.enum(DISCOVERY_MODES),
  namespaces: z.array(z.string().min(1)),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  granted: z.boolean(),
  changed: z.boolean(),
  access: reportAccessSchema.optional(),
  warning: z.string().optional(),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
