/** The ensure-migration-access task's contract: the input it accepts and the output it returns (its handler checks both). */

import { reportAccessSchema } from '../../core/associations/report.ts';
import { DISCOVERY_MODES } from '../../core/migration/discovery-modes.ts';
import type { TaskDescriptor } from '../../core/task-descriptor.ts';
import * as z from '../../core/zod.ts';

export const input = z.looseObject({
  clusterName: z.string().check(z.minLength(1)),
  purpose: z.enum(['read', 'write']),
  discovery: z.enum(DISCOVERY_MODES),
  namespaces: z.array(z.string().check(z.minLength(1))),
});

/** What the task returns, checked before the workflow gets it. */
export const output = z.object({
  granted: z.boolean(),
  changed: z.boolean(),
  access: z.optional(reportAccessSchema),
  warning: z.optional(z.string()),
});

export type Input = z.infer<typeof input>;
export type Output = z.infer<typeof output>;

/** Read by infra, the runner and the README: AWS calls, grants, timeout, shared role, VPC need. */
export const descriptor: TaskDescriptor = {
  timeout: {
    timeoutSeconds: 180,
    worstCase: {
      sequentialCalls: 8,
      throttledCalls: 1,
      waitSeconds: 0,
      why: 'Its own identity, DescribeCluster, then describe/create the access entry and list/associate its policy; one throttled.',
    },
  },
  sharedRole: 'MigrationKubernetes',
  awsCalls: [
    'eks:AssociateAccessPolicy',
    'eks:CreateAccessEntry',
    'eks:DescribeAccessEntry',
    'eks:DescribeCluster',
    'eks:ListAssociatedAccessPolicies',
    'iam:GetRole',
    'sts:GetCallerIdentity',
  ],
  grants: ['own-access-entry:view-or-edit', 'own-identity'],
};
