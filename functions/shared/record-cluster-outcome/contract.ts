/** The record-cluster-outcome task's contract: the input it accepts and the output it returns (its handler checks both). */

import { requiredText } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.object({
  runId: requiredText(),
  clusterName: requiredText(),
  /** The iteration's state: its nested run's summary, or the failure its Catch caught. */
  outcome: z.looseObject({
    failure: z.optional(
      z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
    ),
  }),
});

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({ clusterName: z.string() });

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 120,
  worstCase: {
    sequentialCalls: 1,
    why: 'S3 PutObject of the outcome, throttled.',
  },
  awsCalls: ['s3:PutObject'],
  grants: ['run-documents:write'],
};
