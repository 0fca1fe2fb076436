/** The remove-oidc-trust task's contract: the input it accepts and the output it returns (its handler checks both). */

import {
  batchCountsOutput,
  migrationBatchInput,
  trustEditDescriptor,
} from '../../aws/migration-batch.ts';
import type * as z from '../../core/zod.ts';

export const input = migrationBatchInput;

export const output = batchCountsOutput('roles', 'removed', 'unsuccessful');

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;

/** Read by infra, the runner and the README: the same as the other trust-editing task's. */
export const descriptor = trustEditDescriptor;
