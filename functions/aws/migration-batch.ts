/**
 * What the tasks of the migration's Map share: the payload each item gets, the shape of the
 * counts each returns, and how each reads its batch (only that batch's document).
 */
import { type MigrationPlan, planOfBatch } from '../core/migration/plan.ts';
import { MIGRATION_DOCUMENTS } from '../core/run-documents.ts';
import * as z from '../core/zod.ts';
import { getRunDocument } from './run-store.ts';

export const migrationBatchInput = z.looseObject({
  runId: z.string().check(z.minLength(1)),
  batch: z.int().check(z.minimum(0)),
});

/** A batch task's result: its batch number and how many items it counted of each kind. */
export function batchCountsOutput<Count extends string>(...counts: Count[]) {
  const shape = Object.fromEntries(counts.map((count) => [count, z.int()]));
  return z.object({ batch: z.int(), ...(shape as Record<Count, z.ZodMiniInt>) });
}

/** The plan as batch `batch` sees it (`planOfBatch`). */
export async function loadBatchPlan(runId: string, batch: number): Promise<MigrationPlan> {
  return planOfBatch(await getRunDocument(runId, MIGRATION_DOCUMENTS.batch(batch)));
}
