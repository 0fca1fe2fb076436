import { createHash } from 'node:crypto';
import {
  type AddonSummary,
  type AddonVersionCandidate,
  AddonVersionNotFoundError,
  type ClusterSummary,
  chooseAddonVersion,
  existingCluster,
  requestedAddonVersion,
  unofferedAddonVersion,
} from '../../core/addon.ts';
import type { TaskInput, TaskOutput } from '../../core/task-contract.ts';
import type * as contract from './contract.ts';

/** The input its contract checks (the add-on name defaults to the Pod Identity Agent). */
export type CreateAddonInput = TaskInput<typeof contract>;

/** The output its contract checks. */
export type CreateAddonResult = TaskOutput<typeof contract>;

export interface CreateAddonDeps {
  /** The deployment's region, for messages. */
  region: string;
  describeCluster(name: string): Promise<ClusterSummary | undefined>;
  addonVersions(addonName: string, kubernetesVersion: string): Promise<AddonVersionCandidate[]>;
  createAddon(input: {
    clusterName: string;
    addonName: string;
    addonVersion: string;
    clientRequestToken: string;
  }): Promise<AddonSummary>;
  describeAddon(clusterName: string, addonName: string): Promise<AddonSummary | undefined>;
  isAlreadyExists(error: unknown): boolean;
}

/**
 * Installs the add-on at the requested version, or at EKS's default for the cluster's Kubernetes
 * (no version, or `latest`). A version EKS does not offer there is refused before anything is created.
 */
export async function createAddonTask(
  input: CreateAddonInput,
  deps: CreateAddonDeps,
): Promise<CreateAddonResult> {
  const cluster = await existingCluster(
    deps.describeCluster,
    { clusterName: input.clusterName, region: deps.region },
    'it was deleted since the run checked it',
  );
  // `latest` and a version EKS does not offer read as they do in a config file's `addons:`.
  const requested = requestedAddonVersion(input.addonVersion);
  const candidates = await deps.addonVersions(input.addonName, cluster.version);
  const unoffered =
    requested === undefined
      ? undefined
      : unofferedAddonVersion(input.addonName, cluster.version, requested, candidates);
  if (unoffered !== undefined) throw new AddonVersionNotFoundError(unoffered);
  const version = requested ?? chooseAddonVersion(input.addonName, cluster.version, candidates);
  // The same request retried by Step Functions after a timeout must not start a second install.
  const clientRequestToken = createHash('sha256')
    .update(`${input.clusterName}/${input.addonName}/${version}`)
    .digest('hex')
    .slice(0, 32);
  try {
    const addon = await deps.createAddon({
      clusterName: input.clusterName,
      addonName: input.addonName,
      addonVersion: version,
      clientRequestToken,
    });
    return { created: true, version: addon.version, status: addon.status };
  } catch (error) {
    if (!deps.isAlreadyExists(error)) throw error;
    const existing = await deps.describeAddon(input.clusterName, input.addonName);
    return {
      created: false,
      version: existing?.version ?? version,
      status: existing?.status ?? 'CREATING',
    };
  }
}
