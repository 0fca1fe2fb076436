import type { CoreV1Api } from '@kubernetes/client-node';
import { z } from 'zod';
import {
  createAssociation,
  deleteAssociation,
  describeAssociation,
  updateAssociation,
} from '../aws/eks-associations.ts';
import {
  attachPolicies,
  createRole,
  deleteInlinePolicy,
  deleteRoleCompletely,
  detachPolicies,
  getRoleState,
  getRoleTags,
  putInlinePolicy,
  removePermissionsBoundary,
  setPermissionsBoundary,
  tagRole,
  updateTrust,
} from '../aws/iam.ts';
import {
  createServiceAccount,
  deleteServiceAccount,
  ensureNamespace,
  getServiceAccount,
  kubernetesApiForCluster,
  mergePatchServiceAccount,
} from '../aws/kubernetes.ts';
import { defineTask } from '../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../aws/run-store.ts';
import { guardrailsFromEnv } from '../core/associations/guardrails.ts';
import type { AssociationRequest } from '../core/associations/request.ts';
import { MANAGED_BY_LABEL } from '../core/naming.ts';
import type { PlanDocument } from '../plan-associations/plan-associations.ts';
import type { ExecuteDeps } from './execute-item.ts';
import { processBatch } from './process-batch.ts';

const input = z.looseObject({
  runId: z.string().min(1),
  batch: z.number().int().min(0),
  dryRun: z.boolean(),
});

/** The cluster's Kubernetes API, reached once per invocation and only when an item needs it. */
function kubernetesApi(clusterName: string) {
  let api: Promise<CoreV1Api> | undefined;
  return () => {
    api ??= kubernetesApiForCluster(clusterName).then((reached) => reached.api);
    return api;
  };
}

function executor(clusterName: string, api: ReturnType<typeof kubernetesApi>): ExecuteDeps {
  return {
    createManagedRole: async (role) => {
      const created = await createRole({
        name: role.roleName,
        path: role.path,
        trust: role.trust,
        description: `Created by eks-pod-identity-automation for a pod identity association in cluster ${clusterName}`,
        permissionsBoundaryArn: role.permissionsBoundaryArn,
        tags: role.tags,
      });
      if (created.status === 'exists')
        throw new Error(`role ${role.roleName} was created by someone else meanwhile`);
      await attachPolicies(role.roleName, role.managedPolicyArns);
      for (const policy of role.inlinePolicies)
        await putInlinePolicy(role.roleName, policy.name, policy.document);
      return { arn: created.arn };
    },
    reconcileRole: async (roleName, changes) => {
      // The boundary first: IAM lets the task role write policies only to roles carrying it.
      if (changes.boundary && 'set' in changes.boundary)
        await setPermissionsBoundary(roleName, changes.boundary.set);
      if (changes.trust) await updateTrust(roleName, changes.trust);
      await attachPolicies(roleName, changes.attach);
      await detachPolicies(roleName, changes.detach);
      for (const policy of changes.putInline)
        await putInlinePolicy(roleName, policy.name, policy.document);
      for (const name of changes.deleteInline) await deleteInlinePolicy(roleName, name);
      if (changes.boundary && 'remove' in changes.boundary)
        await removePermissionsBoundary(roleName);
      await tagRole(roleName, changes.tags);
    },
    deleteRole: async (roleName) => {
      await deleteRoleCompletely(roleName);
    },
    ensureServiceAccount: async (namespace, name) => {
      const client = await api();
      await ensureNamespace(client, namespace);
      const existing = await getServiceAccount(client, namespace, name);
      const labels = { [MANAGED_BY_LABEL.key]: MANAGED_BY_LABEL.value };
      if (!existing) {
        await createServiceAccount(client, { namespace, name, labels });
        return true;
      }
      if (existing.labels[MANAGED_BY_LABEL.key] !== MANAGED_BY_LABEL.value) {
        await mergePatchServiceAccount(client, namespace, name, { metadata: { labels } });
      }
      return false;
    },
    deleteServiceAccount: async (namespace, name) => {
      await deleteServiceAccount(await api(), namespace, name);
    },
    createAssociation: async (namespace, serviceAccount, association) => {
      const result = await createAssociation({
        clusterName,
        namespace,
        serviceAccount,
        ...association,
      });
      if (result.status === 'exists') {
        throw new Error(
          `an association for ${namespace}/${serviceAccount} was created meanwhile, with role ${result.existing.roleArn}`,
        );
      }
    },
    updateAssociation: async (associationId, changes) => {
      await updateAssociation(clusterName, associationId, changes);
    },
    deleteAssociation: async (associationId) => {
      await deleteAssociation(clusterName, associationId);
    },
  };
}

export const handler = defineTask('process-batch', input, (event) => {
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
    roleTags: getRoleTags,
    loadRequest: (runId) => getRunDocument<AssociationRequest>(runId, 'request'),
    loadPlan: (runId) => getRunDocument<PlanDocument>(runId, 'plan'),
    describeAssociation,
    getRoleState,
    serviceAccountLabels: async (clusterName, namespace, name) =>
      (await getServiceAccount(await apiFor(clusterName)(), namespace, name))?.labels,
    executor: (clusterName) => executor(clusterName, apiFor(clusterName)),
    saveResults: (runId, batch, results) => putRunDocument(runId, `results-${batch}`, results),
  });
});
