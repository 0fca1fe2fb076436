/**
 * AWS calls: sts:GetCallerIdentity, iam:GetRole (own role, for its ARN), eks:DescribeCluster,
 * eks:DescribeAccessEntry, eks:CreateAccessEntry, eks:ListAssociatedAccessPolicies,
 * eks:AssociateAccessPolicy (AmazonEKSViewPolicy to read, AmazonEKSEditPolicy to write).
 */
import * as z from 'zod';
import { ensureAccessEntry, KubernetesAccessNotPossibleError } from '../../aws/access-entries.ts';
import { callerIdentity } from '../../aws/identity.ts';
import { defineTask } from '../../aws/lambda.ts';
import { reportAccessSchema } from '../../core/associations/report.ts';
import { DISCOVERY_MODES } from '../../core/migration/request.ts';
import { ensureMigrationAccess } from './ensure-migration-access.ts';

const input = z.looseObject({
  clusterName: z.string().min(1),
  purpose: z.enum(['read', 'write']),
  discovery: z.enum(DISCOVERY_MODES),
  namespaces: z.array(z.string().min(1)),
});

/** What the task returns, checked before the workflow gets it. */
const output = z.object({
  granted: z.boolean(),
  changed: z.boolean(),
  access: reportAccessSchema.optional(),
  warning: z.string().optional(),
});

export const handler = defineTask('ensure-migration-access', { input, output }, (event) =>
  ensureMigrationAccess(event, {
    principalArn: async () => (await callerIdentity()).principalArn,
    ensureAccessEntry,
    isAccessNotPossible: (error) => error instanceof KubernetesAccessNotPossibleError,
  }),
);
