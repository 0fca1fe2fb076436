/**
 * Kubernetes calls: `get serviceaccounts` and `patch serviceaccounts`, through the access entry of
 * the role it shares (its AWS calls are in its descriptor).
 */
import { defineTask } from '../../aws/lambda.ts';
import { loadBatchPlan } from '../../aws/migration-batch.ts';
import { findRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { MIGRATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { removeIrsaAnnotations } from './remove-irsa-annotations.ts';
import { serviceAccountsApi } from './service-accounts-api.ts';

export const handler = defineTask('remove-irsa-annotations', { input, output }, (event) =>
  removeIrsaAnnotations(event, {
    loadPlan: loadBatchPlan,
    loadAssociationOutcomes: (runId, batch) =>
      findRunDocument(runId, MIGRATION_DOCUMENTS.associations(batch)),
    kubernetes: serviceAccountsApi,
    saveOutcomes: (runId, batch, outcomes) =>
      putRunDocument(runId, MIGRATION_DOCUMENTS.annotations(batch), outcomes),
  }),
);
