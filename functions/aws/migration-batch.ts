/**
 * What the tasks of the migration's Map share: the payload each item gets, the shape of the
 * counts each returns, and how each reads its batch (only that batch's document).
 */
import * as z from 'zod';
import { type MigrationPlan, planOfBatch } from '../core/migration/plan.ts';
import { MIGRATION_DOCUMENTS } from '../core/run-documents.ts';
import { getRunDocument } from './run-store.ts';

export const migrationBatchInput = z.looseObject({
  runId: z.string().min(1),
  batch: z.number().int().min(0),
});

/** A batch task's result: its batch number and how many items it counted of each kind. */
export function batchCountsOutput<Count extends string>(...counts: Count[]) {
  const shape = Object.fromEntries(counts.map((count) => [count, z.number().int()]));
  return z.object({ batch: z.number().int(), ...(shape as Record<Count, z.ZodNumber>) });
}

/** The plan as batch `batch` sees it (`planOfBatch`). */
export async function loadBatchPlan(runId: string, batch: number): Promise<MigrationPlan> {
  return planOfBatch(await getRunDocument(runId, MIGRATION_DOCUMENTS.batch(batch)));
}
