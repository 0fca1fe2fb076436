/** The list-desired-clusters task's contract: the input it accepts and the output it returns (its handler checks both). */

import { SCOPES } from '../../core/config/index.ts';
import { requiredText } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.object({ input: z.unknown() });

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  heal: z.boolean(),
  selector: z.string(),
  clusters: z.array(
    z.object({
      clusterName: requiredText(),
      config: z.object({ bucket: requiredText(), key: requiredText() }),
      scope: z.enum(SCOPES),
      prune: z.boolean(),
    }),
  ),
  warnings: z.array(z.string()),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 240,
  worstCase: {
    sequentialCalls: 45,
    why: "S3 listing of desired/ (a page per 1,000 keys), then each selected cluster's run record and, for a tags selector, its DescribeCluster, five at a time (100 clusters: 40 rounds); one throttled. A selector naming unmanaged clusters instead describes up to 10 of them (2 rounds) and stops.",
  },
  awsCalls: ['s3:ListBucket', 's3:GetObject', 'eks:DescribeCluster'],
  grants: ['desired-state:read', 'describe-clusters'],
};
