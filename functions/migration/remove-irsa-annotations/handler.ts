/**
 * Kubernetes calls: `get serviceaccounts` and `patch serviceaccounts`, through the access entry of
 * the role it shares (its AWS calls are in its descriptor).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  getServiceAccount,
  kubernetesApiForCluster,
  mergePatchServiceAccount,
} from '../../aws/kubernetes.ts';
import { defineTask } from '../../aws/lambda.ts';
import { loadBatchPlan } from '../../aws/migration-batch.ts';
import { findRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { ROLE_ARN_ANNOTATION } from '../../core/migration/plan.ts';
import { MIGRATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { removeIrsaAnnotations, type ServiceAccountsApi } from './remove-irsa-annotations.ts';

async function kubernetes(clusterName: string): Promise<ServiceAccountsApi> {
  const { api } = await kubernetesApiForCluster(clusterName);
  return {
    get: (namespace, name) => getServiceAccount(api, namespace, name),
    removeRoleArnAnnotation: async (namespace, name, resourceVersion) => {
      await mergePatchServiceAccount(api, namespace, name, {
        metadata: {
          annotations: { [ROLE_ARN_ANNOTATION]: null },
          ...(resourceVersion === undefined ? {} : { resourceVersion }),
        },
      });
    },
  };
}

export const handler = defineTask('remove-irsa-annotations', { input, output }, (event) =>
  removeIrsaAnnotations(event, {
    loadPlan: loadBatchPlan,
    loadAssociationOutcomes: (runId, batch) =>
      findRunDocument(runId, MIGRATION_DOCUMENTS.associations(batch)),
    kubernetes,
    sleep: (milliseconds) => sleep(milliseconds),
    saveOutcomes: (runId, batch, outcomes) =>
      putRunDocument(runId, MIGRATION_DOCUMENTS.annotations(batch), outcomes),
  }),
);
