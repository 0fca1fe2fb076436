/** The record-desired-state task's contract: the input it accepts and the output it returns (its handler checks both). */

import { requiredText } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  runId: requiredText(),
  clusterName: requiredText(),
  input: z.unknown(),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({ recorded: z.nullable(z.string()) });

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 150,
  worstCase: {
    sequentialCalls: 3,
    why: "S3 GetObject of the run's validated config, then two PutObject (the config and how it ran); one throttled.",
  },
  awsCalls: ['s3:GetObject', 's3:PutObject'],
  grants: ['run-documents:read', 'desired-state:write'],
};
