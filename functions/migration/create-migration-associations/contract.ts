/** The create-migration-associations task's contract: the input it accepts and the output it returns (its handler checks both). */
import type * as z from 'zod';
import { batchCountsOutput, migrationBatchInput } from '../../aws/migration-batch.ts';

export const input = migrationBatchInput;

export const output = batchCountsOutput('serviceAccounts', 'created', 'unsuccessful');

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;
