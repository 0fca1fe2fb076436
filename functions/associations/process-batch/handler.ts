import {
  createAssociation,
  deleteAssociation,
  describeAssociation,
  listAssociations,
  updateAssociation,
} from '../../aws/eks-associations.ts';
import {
  createManagedRole,
  deleteRoleCompletely,
  getPolicyDocument,
  getRolePolicies,
  getRoleTrust,
  reconcileRole,
} from '../../aws/iam.ts';
import {
  createServiceAccount,
  deleteServiceAccount,
  ensureNamespace,
  getServiceAccount,
  type KubernetesClient,
  kubernetesApiForCluster,
} from '../../aws/kubernetes.ts';
import { defineTask } from '../../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { deleteEksctlRoleStack, findEksctlRoleStack } from '../../aws/stacks.ts';
import { guardrailsFromEnv } from '../../core/associations/guardrails.ts';
import { MANAGED_BY_LABEL } from '../../core/naming.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import type { BatchDocument, PlanDocument } from '../plan-associations/plan-associations.ts';
import { input, output } from './contract.ts';
import type { ExecuteDeps } from './execute-item.ts';
import { processBatch } from './process-batch.ts';

/** The cluster's Kubernetes API, reached once per invocation and only when an item needs it. */
function kubernetesApi(clusterName: string) {
  let api: Promise<KubernetesClient> | undefined;
  return () => {
    api ??= kubernetesApiForCluster(clusterName).then((reached) => reached.api);
    return api;
  };
}

function executor(clusterName: string, api: ReturnType<typeof kubernetesApi>): ExecuteDeps {
  return {
    createManagedRole: (role) =>
      createManagedRole(
        role,
        `Created by eks-pod-identity-automation for a pod identity association in cluster ${clusterName}`,
      ),
    reconcileRole,
    deleteRole: async (roleName) => {
      await deleteRoleCompletely(roleName);
    },
    deleteEksctlStack: (stackName) => deleteEksctlRoleStack(stackName, clusterName),
    ensureServiceAccount: async (namespace, name) => {
      const client = await api();
      await ensureNamespace(client, namespace);
      const existing = await getServiceAccount(client, namespace, name);
      if (existing) {
        return {
          created: false,
          ours: existing.labels[MANAGED_BY_LABEL.key] === MANAGED_BY_LABEL.value,
        };
      }
      const labels = { [MANAGED_BY_LABEL.key]: MANAGED_BY_LABEL.value };
      await createServiceAccount(client, { namespace, name, labels });
      return { created: true, ours: true };
    },
    deleteServiceAccount: async (namespace, name) => {
      await deleteServiceAccount(await api(), namespace, name);
    },
    createAssociation: async (namespace, serviceAccount, association, trustJustChanged) => {
      const result = await createAssociation({
        clusterName,
        namespace,
        serviceAccount,
        ...association,
        trustJustChanged,
      });
      if (result.status === 'exists') {
        throw new Error(
          `an association for ${namespace}/${serviceAccount} was created meanwhile, with role ${result.existing.roleArn}`,
        );
      }
    },
    updateAssociation: async (associationId, changes, trustJustChanged) => {
      await updateAssociation(clusterName, associationId, changes, trustJustChanged);
    },
    deleteAssociation: async (associationId) => {
      await deleteAssociation(clusterName, associationId);
    },
    associationRoleArn: async (namespace, serviceAccount) => {
      const [summary] = await listAssociations(clusterName, { namespace, serviceAccount });
      if (!summary) return undefined;
      return (await describeAssociation(clusterName, summary.associationId))?.roleArn;
    },
  };
}

export const handler = defineTask('process-batch', { input, output }, (event) => {
  const apis = new Map<string, ReturnType<typeof kubernetesApi>>();
  const apiFor = (clusterName: string) => {
    let api = apis.get(clusterName);
    if (!api) {
      api = kubernetesApi(clusterName);
      apis.set(clusterName, api);
    }
    return api;
  };
  return processBatch(event, {
    guardrails: guardrailsFromEnv(process.env),
    policyDocument: getPolicyDocument,
    loadBatch: (runId, batch) =>
      getRunDocument<BatchDocument>(runId, ASSOCIATION_DOCUMENTS.batch(batch)),
    loadRoleUsage: async (runId) =>
      (await getRunDocument<PlanDocument>(runId, ASSOCIATION_DOCUMENTS.plan)).roleUsage,
    describeAssociation,
    getRoleTrust,
    getRolePolicies,
    findEksctlRoleStack,
    serviceAccountLabels: async (clusterName, namespace, name) =>
      (await getServiceAccount(await apiFor(clusterName)(), namespace, name))?.labels,
    executor: (clusterName) => executor(clusterName, apiFor(clusterName)),
    saveResults: (runId, batch, results) =>
      putRunDocument(runId, ASSOCIATION_DOCUMENTS.results(batch), results),
  });
});
