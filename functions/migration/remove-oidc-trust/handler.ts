import { getRoleTrust, updateTrust } from '../../aws/iam.ts';
import { defineTask } from '../../aws/lambda.ts';
import { loadBatchPlan } from '../../aws/migration-batch.ts';
import { findRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { changeRoleTrustThroughStack } from '../../aws/stacks.ts';
import { MIGRATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { removeOidcTrust } from './remove-oidc-trust.ts';

export const handler = defineTask('remove-oidc-trust', { input, output }, (event) =>
  removeOidcTrust(event, {
    loadPlan: loadBatchPlan,
    loadAssociationOutcomes: (runId, batch) =>
      findRunDocument(runId, MIGRATION_DOCUMENTS.associations(batch)),
    loadAnnotationOutcomes: (runId, batch) =>
      findRunDocument(runId, MIGRATION_DOCUMENTS.annotations(batch)),
    getRoleTrust,
    updateTrust,
    changeTrustThroughStack: changeRoleTrustThroughStack,
    saveOutcomes: (runId, batch, outcomes) =>
      putRunDocument(runId, MIGRATION_DOCUMENTS.oidcTrust(batch), outcomes),
  }),
);
