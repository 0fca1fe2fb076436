/**
 * AWS calls: eks:CreatePodIdentityAssociation (with iam:PassRole of the plan's roles to
 * pods.eks.amazonaws.com), eks:ListPodIdentityAssociations and
 * eks:DescribePodIdentityAssociation (when one exists already); eks:DescribeCluster and iam:GetRole
 * (each association checked against the cluster's OIDC trust as it is now); s3:GetObject,
 * s3:PutObject (run store).
 */
import * as z from 'zod';
import { describeCluster } from '../aws/eks.ts';
import { createAssociation } from '../aws/eks-associations.ts';
import { getRoleTrust } from '../aws/iam.ts';
import { defineTask } from '../aws/lambda.ts';
import { findRunDocument, getRunDocument, putRunDocument } from '../aws/run-store.ts';
import { type RoleTrustOutcome, RUN_DOCUMENTS } from '../core/migration/outcomes.ts';
import { type MigrationBatchDocument, planOfBatch } from '../core/migration/plan.ts';
import { createMigrationAssociations } from './create-migration-associations.ts';

const input = z.looseObject({ runId: z.string().min(1), batch: z.number().int().min(0) });

/** What the task returns, checked before the workflow gets it. */
const output = z.object({
  batch: z.number().int(),
  serviceAccounts: z.number().int(),
  created: z.number().int(),
  unsuccessful: z.number().int(),
});

export const handler = defineTask('create-migration-associations', { input, output }, (event) =>
  createMigrationAssociations(event, {
    loadPlan: async (runId, batch) =>
      planOfBatch(await getRunDocument<MigrationBatchDocument>(runId, RUN_DOCUMENTS.batch(batch))),
    clusterOidcIssuer: async (clusterName) => (await describeCluster(clusterName))?.oidcIssuer,
    getRoleTrust,
    loadTrustOutcomes: (runId, batch) =>
      findRunDocument<RoleTrustOutcome[]>(runId, RUN_DOCUMENTS.trust(batch)),
    createAssociation: async (association) => {
      const result = await createAssociation(association);
      return result.status === 'created'
        ? { status: 'created' }
        : {
            status: 'exists',
            existing: { roleArn: result.existing.roleArn, ownerArn: result.existing.ownerArn },
          };
    },
    saveOutcomes: (runId, batch, outcomes) =>
      putRunDocument(runId, RUN_DOCUMENTS.associations(batch), outcomes),
  }),
);
