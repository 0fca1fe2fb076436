/**
 * What the tasks of the migration's Map share: the payload each item gets, the shape of the
 * counts each returns, and how each reads its batch (only that batch's document).
 */
import { type MigrationPlan, planOfBatch } from '../core/migration/plan.ts';
import { MIGRATION_DOCUMENTS } from '../core/run-documents.ts';
import type { TaskDescriptor } from '../core/task-descriptor.ts';
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

/**
 * The descriptor of the two tasks that edit a batch's trust policies (add-pod-identity-trust,
 * remove-oidc-trust): the same calls on the same roles, directly or through eksctl's stacks.
 */
export const trustEditDescriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 600,
    worstCase: {
      sequentialCalls: 25,
      throttledCalls: 1,
      waitSeconds: 300,
      why: "50 roles on 5 lanes: 10 per lane, GetRole then UpdateAssumeRolePolicy, plus the plan and outcomes; one throttled. A role an eksctl stack owns goes through its stack: up to 180 s for an operation already under way to settle, then the change set and the update (about 2 minutes for one role). Waits on CloudFormation and EKS operations (functions/aws/polling.ts) end 30 s before this timeout, so an operation slower than that fails its item with 'run again' (a rerun waits for it to settle) instead of killing the invocation.",
    },
  },
  awsCalls: [
    'cloudformation:CreateChangeSet',
    'cloudformation:DeleteChangeSet',
    'cloudformation:DescribeChangeSet',
    'cloudformation:DescribeStacks',
    'cloudformation:ExecuteChangeSet',
    'cloudformation:GetTemplate',
    'cloudformation:ListStackResources',
    'iam:GetRole',
    'iam:UpdateAssumeRolePolicy',
    's3:GetObject',
    's3:PutObject',
  ],
  grants: ['run-documents:read-write', 'edit-migratable-trust', 'edit-trust-through-eksctl-stacks'],
};
