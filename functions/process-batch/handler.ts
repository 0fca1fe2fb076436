import type { CoreV1Api } from '@kubernetes/client-node';
import { z } from 'zod';
import {
  createAssociation,
  deleteAssociation,
  describeAssociation,
  listAssociations,
  updateAssociation,
} from '../aws/eks-associations.ts';
import {
  attachPolicies,
  createRole,
  deleteInlinePolicy,
  deleteRoleCompletely,
  detachPolicies,
  getRoleState,
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
} from '../aws/kubernetes.ts';
import { defineTask } from '../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../aws/run-store.ts';
import type { ManagedRole } from '../core/associations/desired.ts';
import { type RoleChanges, roleChanges } from '../core/associations/plan.ts';
import type { AssociationRequest } from '../core/associations/request.ts';
import { isOwnedBy, MANAGED_BY_LABEL, OWNERSHIP_TAG_KEYS } from '../core/naming.ts';
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
      if (created.status === 'exists') {
        // A CreateRole retried after its answer was lost finds the role it made: ours by its tags.
        const existing = await getRoleState(role.roleName);
        if (!existing || !isOwnedBy(existing.tags, clusterName, ...ownerOf(role))) {
          throw new Error(`role ${role.roleName} was created by someone else meanwhile`);
        }
        await reconcileRole(role.roleName, roleChanges(role, existing));
        return { arn: existing.arn };
      }
      try {
        await attachPolicies(role.roleName, role.managedPolicyArns);
        for (const policy of role.inlinePolicies)
          await putInlinePolicy(role.roleName, policy.name, policy.document);
      } catch (error) {
        // A half-made role (a policy that does not exist, an inline policy over the quota) is
        // worth nothing to anyone: take it back, so the item fails with IAM's reason and a rerun
        // starts clean.
        await deleteRoleCompletely(role.roleName).catch(() => undefined);
        throw error;
      }
      return { arn: created.arn };
    },
    reconcileRole,
    deleteRole: async (roleName) => {
      await deleteRoleCompletely(roleName);
    },
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

async function reconcileRole(roleName: string, changes: RoleChanges): Promise<void> {
  if (changes.trust) await updateTrust(roleName, changes.trust);
  await attachPolicies(roleName, changes.attach);
  await detachPolicies(roleName, changes.detach);
  for (const policy of changes.putInline)
    await putInlinePolicy(roleName, policy.name, policy.document);
  for (const name of changes.deleteInline) await deleteInlinePolicy(roleName, name);
  if (changes.boundary && 'set' in changes.boundary)
    await setPermissionsBoundary(roleName, changes.boundary.set);
  if (changes.boundary && 'remove' in changes.boundary) await removePermissionsBoundary(roleName);
  await tagRole(roleName, changes.tags);
}

/** The association a managed role is made for, from its ownership tags. */
function ownerOf(role: ManagedRole): [string, string] {
  return [
    role.tags[OWNERSHIP_TAG_KEYS.namespace] ?? '',
    role.tags[OWNERSHIP_TAG_KEYS.serviceAccount] ?? '',
  ];
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
