/**
 * apply-association-batch's deps over the AWS and Kubernetes adapters: how each step of
 * executeItem reaches a cluster. No decision is made here; executeItem and the core decide.
 */
import {
  createAssociation,
  deleteAssociation,
  describeAssociation,
  listAssociations,
  updateAssociation,
} from '../../aws/eks-associations.ts';
import { createManagedRole, deleteRoleCompletely, reconcileRole } from '../../aws/iam.ts';
import {
  createServiceAccount,
  deleteServiceAccount,
  ensureNamespace,
  getServiceAccount,
  type KubernetesClient,
  kubernetesApiForCluster,
} from '../../aws/kubernetes.ts';
import {
  isManagedByEksPia,
  managedByEksPiaLabels,
  managedRoleDescription,
} from '../../core/naming.ts';
import { AssociationCreatedMeanwhileError, type ExecuteDeps } from './execute-item.ts';

/** The cluster's Kubernetes API, reached once per invocation and only when an item needs it. */
function kubernetesApi(clusterName: string): () => Promise<KubernetesClient> {
  let api: Promise<KubernetesClient> | undefined;
  return () => {
    api ??= kubernetesApiForCluster(clusterName).then((reached) => reached.api);
    return api;
  };
}

/** Each cluster's API, reached at most once per invocation. */
export function kubernetesApiPerCluster(): (
  clusterName: string,
) => () => Promise<KubernetesClient> {
  const apis = new Map<string, () => Promise<KubernetesClient>>();
  return (clusterName) => {
    let api = apis.get(clusterName);
    if (!api) {
      api = kubernetesApi(clusterName);
      apis.set(clusterName, api);
    }
    return api;
  };
}

/**
 * What executeItem does to a cluster, through the AWS and Kubernetes adapters; eksctl's role
 * stacks are prepare-association-batch's to delete.
 */
export function awsExecutor(
  clusterName: string,
  api: () => Promise<KubernetesClient>,
): Omit<ExecuteDeps, 'deleteEksctlStack'> {
  return {
    createManagedRole: (role) =>
      createManagedRole(role, managedRoleDescription(clusterName, 'config')),
    reconcileRole,
    deleteRole: async (roleName) => {
      await deleteRoleCompletely(roleName);
    },
    ensureServiceAccount: async (namespace, name) => {
      const client = await api();
      await ensureNamespace(client, namespace);
      const existing = await getServiceAccount(client, namespace, name);
      if (existing) return { created: false, ours: isManagedByEksPia(existing.labels) };
      await createServiceAccount(client, { namespace, name, labels: managedByEksPiaLabels() });
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
        throw new AssociationCreatedMeanwhileError(
          `${namespace}/${serviceAccount}`,
          result.existing.roleArn,
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
