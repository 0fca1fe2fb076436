/**
 * AWS calls: iam:GetRole, iam:UpdateAssumeRolePolicy (roles of the plan, any path); for roles an
 * eksctl stack owns, cloudformation:DescribeStacks, ListStackResources, GetTemplate,
 * CreateChangeSet, DescribeChangeSet, ExecuteChangeSet, DeleteChangeSet (eksctl's stack names),
 * and the IAM calls CloudFormation makes with this role's credentials; s3:GetObject,
 * s3:PutObject (run store).
 */
import * as z from 'zod';
import { getRoleTrust, updateTrust } from '../aws/iam.ts';
import { defineTask } from '../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../aws/run-store.ts';
import { changeRoleTrustThroughStack } from '../aws/stacks.ts';
import { RUN_DOCUMENTS } from '../core/migration/outcomes.ts';
import { type MigrationBatchDocument, planOfBatch } from '../core/migration/plan.ts';
import { addPodIdentityTrustBatch } from './add-pod-identity-trust.ts';

const input = z.looseObject({ runId: z.string().min(1), batch: z.number().int().min(0) });

/** What the task returns, checked before the workflow gets it. */
const output = z.object({
  batch: z.number().int(),
  roles: z.number().int(),
  added: z.number().int(),
  unsuccessful: z.number().int(),
});

export const handler = defineTask('add-pod-identity-trust', { input, output }, (event) =>
  addPodIdentityTrustBatch(event, {
    loadPlan: async (runId, batch) =>
      planOfBatch(await getRunDocument<MigrationBatchDocument>(runId, RUN_DOCUMENTS.batch(batch))),
    getRoleTrust,
    updateTrust,
    changeTrustThroughStack: changeRoleTrustThroughStack,
    saveOutcomes: (runId, batch, outcomes) =>
      putRunDocument(runId, RUN_DOCUMENTS.trust(batch), outcomes),
  }),
);
