import { describeAssociation } from '../../aws/eks-associations.ts';
import { getRolePolicies, getRoleTrust } from '../../aws/iam.ts';
import { getServiceAccount } from '../../aws/kubernetes.ts';
import { defineTask } from '../../aws/lambda.ts';
import { getRunDocument, getSealedDocument, putRunDocument } from '../../aws/run-store.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { applyAssociationBatch } from './apply-association-batch.ts';
import { awsExecutor, kubernetesApiPerCluster } from './aws-executor.ts';
import { input, output } from './contract.ts';

export const handler = defineTask('apply-association-batch', { input, output }, (event) => {
  const apiFor = kubernetesApiPerCluster();
  return applyAssociationBatch(event, {
    loadBatch: (sealed, batch) => getSealedDocument(sealed, ASSOCIATION_DOCUMENTS.batch(batch)),
    loadRoleUsage: (runId) => getRunDocument(runId, ASSOCIATION_DOCUMENTS.roleUsage),
    describeAssociation,
    getRoleTrust,
    getRolePolicies,
    serviceAccountLabels: async (clusterName, namespace, name) =>
      (await getServiceAccount(await apiFor(clusterName)(), namespace, name))?.labels,
    executor: (clusterName) => awsExecutor(clusterName, apiFor(clusterName)),
    saveResults: (runId, batch, results) =>
      putRunDocument(runId, ASSOCIATION_DOCUMENTS.results(batch), results),
  });
});
