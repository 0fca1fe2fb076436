/**
 * discover-irsa's readers over the AWS and Kubernetes adapters that need more than passing on:
 * the cluster's service accounts and pods, and the service accounts an add-on version supports
 * for pod identity. Nothing here changes anything.
 */
import { addonPodIdentityConfiguration } from '../../aws/addons.ts';
import { kubernetesApiForCluster, listPods, listServiceAccounts } from '../../aws/kubernetes.ts';
import type { KubernetesReader } from './discover-irsa.ts';

export async function kubernetesReader(clusterName: string): Promise<KubernetesReader> {
  const { api, cluster } = await kubernetesApiForCluster(clusterName);
  return {
    authenticationMode: cluster.authenticationMode,
    serviceAccounts: (namespace) =>
      listServiceAccounts(api, namespace === undefined ? {} : { namespace }),
    pods: (namespace) => listPods(api, namespace === undefined ? {} : { namespace }),
  };
}

/** None for an add-on version EKS refuses to describe: discovery then keeps its IRSA role as is. */
export async function addonPodIdentityAccounts(
  addonName: string,
  addonVersion: string,
): Promise<string[]> {
  const answer = await addonPodIdentityConfiguration(addonName, addonVersion);
  return 'refused' in answer ? [] : answer.accounts.map((account) => account.serviceAccount);
}
