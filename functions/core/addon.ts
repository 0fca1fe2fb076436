/**
 * Decisions about an EKS add-on's state, kept free of SDK types so the workflows' branching is
 * testable on plain values.
 */
import { NamedError } from './errors.ts';

export const POD_IDENTITY_AGENT = 'eks-pod-identity-agent';

export interface ClusterSummary {
  name: string;
  status: string;
  version: string;
  autoMode: boolean;
}

export interface AddonSummary {
  name: string;
  status: string;
  version: string;
  healthIssues: { code: string; message: string }[];
}

export interface AddonVersionCandidate {
  version: string;
  defaultForKubernetes: string[];
}

/** The output of the ensure-addon workflow (built by its final Pass state). */
export interface EnsureAddonReport {
  workflow: 'ensure-addon';
  clusterName: string;
  addonName: string;
  status: string | null;
  version: string | null;
  autoMode: boolean;
  reason: string;
  created: boolean;
}

/** Where the add-on stands: what the ensure-addon workflow branches on. */
export type AddonState = 'absent' | 'pending' | 'ready';

export class ClusterNotFoundError extends NamedError {
  override readonly name = 'ClusterNotFoundError';
}

/**
 * The cluster `describe` finds, or ClusterNotFoundError saying that it does not exist in `region`
 * and then `why`: what the caller's user should check.
 */
export async function existingCluster<Cluster>(
  describe: (name: string) => Promise<Cluster | undefined>,
  where: { clusterName: string; region: string },
  why: string,
): Promise<Cluster> {
  const cluster = await describe(where.clusterName);
  if (cluster === undefined) {
    throw new ClusterNotFoundError(
      `cluster "${where.clusterName}" does not exist in region ${where.region}; ${why}`,
    );
  }
  return cluster;
}

export class ClusterNotActiveError extends NamedError {
  override readonly name = 'ClusterNotActiveError';
}

export class AddonFailedError extends NamedError {
  override readonly name = 'AddonFailedError';
}

export class AddonVersionNotFoundError extends NamedError {
  override readonly name = 'AddonVersionNotFoundError';
}

const PENDING = new Set(['CREATING', 'UPDATING', 'DELETING']);
const FAILED = new Set(['CREATE_FAILED', 'DEGRADED', 'UPDATE_FAILED', 'DELETE_FAILED']);
/** eksctl refuses Kubernetes API work on clusters in these states; so do we. */
const NOT_OPERABLE = new Set(['CREATING', 'DELETING', 'FAILED']);

export function assertClusterOperable(cluster: ClusterSummary, region: string): void {
  if (NOT_OPERABLE.has(cluster.status)) {
    throw new ClusterNotActiveError(
      `cannot perform Kubernetes API operations on cluster "${cluster.name}" in "${region}" region due to status "${cluster.status}"`,
    );
  }
}

/**
 * The pod identity agent is built into EKS Auto Mode, so such a cluster counts as having it
 * (eksctl #8346). A failed add-on is an error with EKS's health issues, not something to wait on.
 */
export function addonState(
  cluster: ClusterSummary,
  addonName: string,
  addon: AddonSummary | undefined,
): { state: AddonState; reason: string } {
  if (addonName === POD_IDENTITY_AGENT && cluster.autoMode) {
    return { state: 'ready', reason: 'built into EKS Auto Mode' };
  }
  if (!addon) return { state: 'absent', reason: 'not installed' };
  if (FAILED.has(addon.status)) {
    const issues = addon.healthIssues.map((issue) => `${issue.code}: ${issue.message}`).join('; ');
    throw new AddonFailedError(
      `add-on "${addonName}" on cluster "${cluster.name}" is ${addon.status}${issues ? ` (${issues})` : ''}; ` +
        'fix the cause, delete the add-on and run again',
    );
  }
  if (PENDING.has(addon.status)) return { state: 'pending', reason: `status ${addon.status}` };
  return { state: 'ready', reason: `status ${addon.status}` };
}

/**
 * The version a request asks for: none, empty or `latest` (eksctl's word, any case) mean EKS's
 * default for the cluster (see chooseAddonVersion), whether a config file or a flag said it.
 */
export function requestedAddonVersion(version: string | undefined): string | undefined {
  if (version === undefined || version === '' || version.toLowerCase() === 'latest') {
    return undefined;
  }
  return version;
}

/**
 * Why EKS would refuse `version` of the add-on on this Kubernetes version, given the versions it
 * offers there (`candidates`); undefined when it offers that version.
 */
export function unofferedAddonVersion(
  addonName: string,
  kubernetesVersion: string,
  version: string,
  candidates: readonly AddonVersionCandidate[],
): string | undefined {
  if (candidates.some((candidate) => candidate.version === version)) return undefined;
  if (candidates.length === 0) {
    return `EKS offers no version of add-on "${addonName}" for Kubernetes ${kubernetesVersion}, ${version} or any other; check the add-on name`;
  }
  return `EKS offers no version ${version} of add-on "${addonName}" for Kubernetes ${kubernetesVersion}; use one of ${candidates.map((candidate) => candidate.version).join(', ')}`;
}

/** The version EKS marks as default for the cluster's Kubernetes version, else the newest. */
export function chooseAddonVersion(
  addonName: string,
  kubernetesVersion: string,
  candidates: AddonVersionCandidate[],
): string {
  const preferred = candidates.find((candidate) =>
    candidate.defaultForKubernetes.includes(kubernetesVersion),
  );
  const chosen =
    preferred ?? [...candidates].sort((a, b) => compareAddonVersions(b.version, a.version))[0];
  if (!chosen) {
    throw new AddonVersionNotFoundError(
      `EKS offers no version of add-on "${addonName}" for Kubernetes ${kubernetesVersion}; check the add-on name`,
    );
  }
  return chosen.version;
}

/** Orders `v1.3.4-eksbuild.1`-style versions numerically, part by part. */
export function compareAddonVersions(a: string, b: string): number {
  const parts = (version: string) => version.match(/\d+/g)?.map(Number) ?? [];
  const left = parts(a);
  const right = parts(b);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
