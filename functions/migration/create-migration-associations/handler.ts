import { describeCluster } from '../../aws/eks.ts';
import { createAssociation } from '../../aws/eks-associations.ts';
import { getRoleTrust } from '../../aws/iam.ts';
import { defineTask } from '../../aws/lambda.ts';
import { loadBatchPlan } from '../../aws/migration-batch.ts';
import { findRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { MIGRATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { createMigrationAssociations } from './create-migration-associations.ts';

export const handler = defineTask('create-migration-associations', { input, output }, (event) =>
  createMigrationAssociations(event, {
    loadPlan: loadBatchPlan,
    clusterOidcIssuer: async (clusterName) => (await describeCluster(clusterName))?.oidcIssuer,
    getRoleTrust,
    loadTrustOutcomes: (runId, batch) => findRunDocument(runId, MIGRATION_DOCUMENTS.trust(batch)),
    createAssociation: async (association) => {
      const result = await createAssociation({ ...association, tags: { ...association.tags } });
      return result.status === 'created'
        ? { status: 'created' }
        : {
            status: 'exists',
            existing: { roleArn: result.existing.roleArn, ownerArn: result.existing.ownerArn },
          };
    },
    saveOutcomes: (runId, batch, outcomes) =>
      putRunDocument(runId, MIGRATION_DOCUMENTS.associations(batch), outcomes),
  }),
);
