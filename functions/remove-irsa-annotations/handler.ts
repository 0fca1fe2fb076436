/**
 * AWS calls: eks:DescribeCluster; Kubernetes `get serviceaccounts` and `patch serviceaccounts`
 * (through the access entry); s3:GetObject, s3:PutObject (run store).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import {
  getServiceAccount,
  kubernetesApiForCluster,
  mergePatchServiceAccount,
} from '../aws/kubernetes.ts';
import { defineTask } from '../aws/lambda.ts';
import { findRunDocument, getRunDocument, putRunDocument } from '../aws/run-store.ts';
import { type AssociationOutcome, RUN_DOCUMENTS } from '../core/migration/outcomes.ts';
import {
  type MigrationBatchDocument,
  planOfBatch,
  ROLE_ARN_ANNOTATION,
} from '../core/migration/plan.ts';
import { removeIrsaAnnotations, type ServiceAccountsApi } from './remove-irsa-annotations.ts';

const input = z.looseObject({ runId: z.string().min(1), batch: z.number().int().min(0) });

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

/** What the task returns, checked before the workflow gets it. */
const output = z.object({
  batch: z.number().int(),
  serviceAccounts: z.number().int(),
  removed: z.number().int(),
  unsuccessful: z.number().int(),
});

export const handler = defineTask('remove-irsa-annotations', { input, output }, (event) =>
  removeIrsaAnnotations(event, {
    loadPlan: async (runId, batch) =>
      planOfBatch(await getRunDocument<MigrationBatchDocument>(runId, RUN_DOCUMENTS.batch(batch))),
    loadAssociationOutcomes: (runId, batch) =>
      findRunDocument<AssociationOutcome[]>(runId, RUN_DOCUMENTS.associations(batch)),
    kubernetes,
    sleep: (milliseconds) => sleep(milliseconds),
    saveOutcomes: (runId, batch, outcomes) =>
      putRunDocument(runId, RUN_DOCUMENTS.annotations(batch), outcomes),
  }),
);
