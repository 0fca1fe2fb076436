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
import { findRunDocument, getRunDocument, putRunDocument } from '../aws/run-store.ts';
import { changeRoleTrustThroughStack } from '../aws/stacks.ts';
import {
  type AnnotationOutcome,
  type AssociationOutcome,
  RUN_DOCUMENTS,
} from '../core/migration/outcomes.ts';
import { type MigrationBatchDocument, planOfBatch } from '../core/migration/plan.ts';
import { removeOidcTrust } from './remove-oidc-trust.ts';

const input = z.looseObject({ runId: z.string().min(1), batch: z.number().int().min(0) });

/** What the task returns, checked before the workflow gets it. */
const output = z.object({
  batch: z.number().int(),
  roles: z.number().int(),
  removed: z.number().int(),
  unsuccessful: z.number().int(),
});

export const handler = defineTask('remove-oidc-trust', { input, output }, (event) =>
  removeOidcTrust(event, {
    loadPlan: async (runId, batch) =>
      planOfBatch(await getRunDocument<MigrationBatchDocument>(runId, RUN_DOCUMENTS.batch(batch))),
    loadAssociationOutcomes: (runId, batch) =>
      findRunDocument<AssociationOutcome[]>(runId, RUN_DOCUMENTS.associations(batch)),
    loadAnnotationOutcomes: (runId, batch) =>
      findRunDocument<AnnotationOutcome[]>(runId, RUN_DOCUMENTS.annotations(batch)),
    getRoleTrust,
    updateTrust,
    changeTrustThroughStack: changeRoleTrustThroughStack,
    saveOutcomes: (runId, batch, outcomes) =>
      putRunDocument(runId, RUN_DOCUMENTS.oidcTrust(batch), outcomes),
  }),
);
