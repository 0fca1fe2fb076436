/**
 * remove-irsa-annotations' service account operations over the cluster's Kubernetes API: the
 * one patch it makes is a JSON merge patch setting the role-arn annotation to null, which deletes
 * that annotation alone and leaves every other field of the service account as it is.
 */
import {
  getServiceAccount,
  kubernetesApiForCluster,
  mergePatchServiceAccount,
} from '../../aws/kubernetes.ts';
import { ROLE_ARN_ANNOTATION } from '../../core/migration/plan.ts';
import type { ServiceAccountsApi } from './remove-irsa-annotations.ts';

export async function serviceAccountsApi(clusterName: string): Promise<ServiceAccountsApi> {
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
