import {
  type AddonState,
  type AddonSummary,
  addonState,
  assertClusterOperable,
  type ClusterSummary,
  existingCluster,
} from '../../core/addon.ts';
import type { TaskInput } from '../../core/task-contract.ts';
import type * as contract from './contract.ts';

/** The input its contract checks (the add-on name defaults to the Pod Identity Agent). */
export type CheckAddonInput = TaskInput<typeof contract>;

export interface CheckAddonResult {
  clusterName: string;
  addonName: string;
  state: AddonState;
  reason: string;
  status: string | null;
  version: string | null;
  autoMode: boolean;
}

export interface CheckAddonDeps {
  region: string;
  describeCluster(name: string): Promise<ClusterSummary | undefined>;
  describeAddon(clusterName: string, addonName: string): Promise<AddonSummary | undefined>;
}

/** Reports whether the add-on is absent, settling or ready; a failed add-on is an error. */
export async function checkAddon(
  input: CheckAddonInput,
  deps: CheckAddonDeps,
): Promise<CheckAddonResult> {
  const cluster = await existingCluster(
    deps.describeCluster,
    { clusterName: input.clusterName, region: deps.region },
    'check the name and region',
  );
  assertClusterOperable(cluster, deps.region);
  const addon = await deps.describeAddon(input.clusterName, input.addonName);
  const { state, reason } = addonState(cluster, input.addonName, addon);
  return {
    clusterName: input.clusterName,
    addonName: input.addonName,
    state,
    reason,
    status: addon?.status ?? null,
    version: addon?.version ?? null,
    autoMode: cluster.autoMode,
  };
}
