/**
 * Thin EKS operations over the SDK client, returning the core's plain shapes. "Not found" is an
 * answer here (undefined), not an exception, because the workflows branch on it.
 */
import {
  CreateAddonCommand,
  DescribeAddonCommand,
  type DescribeAddonVersionsCommandInput,
  DescribeClusterCommand,
  paginateDescribeAddonVersions,
  paginateListClusters,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import type { AddonSummary, AddonVersionCandidate } from '../core/addon.ts';
import { orIfThrown } from '../core/errors.ts';
import { eksClient } from './clients.ts';

export interface ClusterDetails {
  name: string;
  arn: string;
  status: string;
  version: string;
  autoMode: boolean;
  endpoint: string;
  certificateAuthorityData: string;
  oidcIssuer: string | undefined;
  authenticationMode: string;
  /** `ipv4` or `ipv6`: vpc-cni on an IPv6 cluster needs credentials (eksctl's rule). */
  ipFamily: string;
  tags: Record<string, string>;
}

/** EKS's answer, or undefined when EKS has no such cluster, add-on, association or entry. */
export function unlessNotFound<T>(answer: Promise<T>): Promise<T | undefined> {
  return orIfThrown(answer, ResourceNotFoundException, undefined);
}

export async function describeCluster(name: string): Promise<ClusterDetails | undefined> {
  const cluster = (await unlessNotFound(eksClient().send(new DescribeClusterCommand({ name }))))
    ?.cluster;
  if (!cluster) return undefined;
  return {
    name: cluster.name ?? name,
    arn: cluster.arn ?? '',
    status: cluster.status ?? 'UNKNOWN',
    version: cluster.version ?? '',
    autoMode: cluster.computeConfig?.enabled === true,
    endpoint: cluster.endpoint ?? '',
    certificateAuthorityData: cluster.certificateAuthority?.data ?? '',
    oidcIssuer: cluster.identity?.oidc?.issuer,
    ipFamily: cluster.kubernetesNetworkConfig?.ipFamily ?? 'ipv4',
    authenticationMode: cluster.accessConfig?.authenticationMode ?? 'CONFIG_MAP',
    tags: cluster.tags ?? {},
  };
}

/** The names of every cluster in the client's region, in the order EKS lists them. */
export async function listClusterNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListClusters({ client: eksClient() }, { maxResults: 100 })) {
    names.push(...(page.clusters ?? []));
  }
  return names;
}

export async function describeAddon(
  clusterName: string,
  addonName: string,
): Promise<AddonSummary | undefined> {
  const addon = (
    await unlessNotFound(eksClient().send(new DescribeAddonCommand({ clusterName, addonName })))
  )?.addon;
  if (!addon) return undefined;
  return {
    name: addon.addonName ?? addonName,
    status: addon.status ?? 'UNKNOWN',
    version: addon.addonVersion ?? '',
    healthIssues: (addon.health?.issues ?? []).map((issue) => ({
      code: issue.code ?? 'Unknown',
      message: issue.message ?? '',
    })),
  };
}

export async function addonVersions(
  addonName: string,
  kubernetesVersion: string,
): Promise<AddonVersionCandidate[]> {
  return (await addonCatalogue(addonName, kubernetesVersion)).candidates;
}

/** The versions EKS offers of an add-on for a Kubernetes version, and where it installs it. */
export async function addonCatalogue(
  addonName: string,
  kubernetesVersion: string,
): Promise<{ candidates: AddonVersionCandidate[]; defaultNamespace: string | undefined }> {
  const input: DescribeAddonVersionsCommandInput = { addonName, kubernetesVersion };
  const candidates: AddonVersionCandidate[] = [];
  let defaultNamespace: string | undefined;
  for await (const page of paginateDescribeAddonVersions({ client: eksClient() }, input)) {
    for (const addon of page.addons ?? []) {
      if (addon.addonName !== addonName) continue;
      defaultNamespace ??= addon.defaultNamespace;
      for (const info of addon.addonVersions ?? []) {
        if (!info.addonVersion) continue;
        candidates.push({
          version: info.addonVersion,
          defaultForKubernetes: (info.compatibilities ?? [])
            .filter((compatibility) => compatibility.defaultVersion && compatibility.clusterVersion)
            .map((compatibility) => compatibility.clusterVersion as string),
        });
      }
    }
  }
  return { candidates, defaultNamespace };
}

export async function createAddon(input: {
  clusterName: string;
  addonName: string;
  addonVersion: string;
  clientRequestToken: string;
}): Promise<AddonSummary> {
  const { addon } = await eksClient().send(new CreateAddonCommand(input));
  return {
    name: addon?.addonName ?? input.addonName,
    status: addon?.status ?? 'CREATING',
    version: addon?.addonVersion ?? input.addonVersion,
    healthIssues: [],
  };
}
