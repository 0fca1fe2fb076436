import { getRoleTrust, updateTrust } from '../../aws/iam.ts';
import { defineTask } from '../../aws/lambda.ts';
import { loadBatchPlan } from '../../aws/migration-batch.ts';
import { putRunDocument } from '../../aws/run-store.ts';
import { changeRoleTrustThroughStack } from '../../aws/stacks.ts';
import { MIGRATION_DOCUMENTS } from '../../core/run-documents.ts';
import { addPodIdentityTrustBatch } from './add-pod-identity-trust.ts';
import { input, output } from './contract.ts';

export const handler = defineTask('add-pod-identity-trust', { input, output }, (event) =>
  addPodIdentityTrustBatch(event, {
    loadPlan: loadBatchPlan,
    getRoleTrust,
    updateTrust,
    changeTrustThroughStack: changeRoleTrustThroughStack,
    saveOutcomes: (runId, batch, outcomes) =>
      putRunDocument(runId, MIGRATION_DOCUMENTS.trust(batch), outcomes),
  }),
);
