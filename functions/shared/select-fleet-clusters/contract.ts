/** The select-fleet-clusters task's contract: the input it accepts and the output it returns (its handler checks both). */

import { fleetSelection } from '../../core/task-contract.ts';
import type { ContractDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({ selection: fleetSelection() });

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
export const output = z.object({
  listed: z.int().check(z.minimum(0)),
  clusterNames: z.array(z.string()),
  warnings: z.array(z.string()),
});

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: ContractDescriptor = {
  timeoutSeconds: 300,
  worstCase: {
    sequentialCalls: 25,
    why: 'ListClusters (a page per 100 clusters), then DescribeCluster of each cluster five at a time when the selector names tags (100 clusters: 20 rounds); one throttled.',
  },
  awsCalls: ['eks:ListClusters', 'eks:DescribeCluster'],
  grants: ['list-clusters', 'describe-clusters'],
};
