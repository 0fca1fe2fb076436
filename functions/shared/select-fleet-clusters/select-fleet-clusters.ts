import { NamedError } from '../../core/errors.ts';
import {
  describeSelector,
  type FleetSelection,
  selectClusters,
} from '../../core/fleet/fleet-config.ts';

/**
 * Clusters one fleet run applies to at most: each is a Map iteration whose entry the state
 * carries, and a region holds 100 clusters unless AWS raises the quota.
 */
export const MAX_FLEET_CLUSTERS = 500;

/** More clusters match than one run applies to. */
export class FleetTooLargeError extends NamedError {
  override readonly name = 'FleetTooLargeError';
}

export interface SelectFleetClustersInput {
  selection: FleetSelection;
}

export interface SelectFleetClustersDeps {
  deploymentRegion: string;
  listClusters(): Promise<string[]>;
  /** The cluster's EKS tags, or undefined when it was deleted since it was listed. */
  clusterTags(clusterName: string): Promise<Record<string, string> | undefined>;
}

export interface SelectedClusters {
  /** How many clusters the region has. */
  listed: number;
  /** The ones selected, by name in byte order. */
  clusterNames: string[];
  warnings: string[];
}

/**
 * Lists the region's clusters and keeps those the fleet's selector matches, reading each
 * cluster's tags only when the selector names tags.
 */
export async function selectFleetClusters(
  input: SelectFleetClustersInput,
  deps: SelectFleetClustersDeps,
): Promise<SelectedClusters> {
  const { selection } = input;
  if (selection.region !== undefined && selection.region !== deps.deploymentRegion) {
    return {
      listed: 0,
      clusterNames: [],
      warnings: [
        `the config's metadata.region is ${selection.region}, so it selects no cluster of this deployment's region ${deps.deploymentRegion}; run it where that region's clusters are served`,
      ],
    };
  }
  const names = (await deps.listClusters()).sort();
  const clusterNames = await selectClusters(
    names,
    selection,
    deps.deploymentRegion,
    deps.clusterTags,
  );
  if (clusterNames.length > MAX_FLEET_CLUSTERS) {
    throw new FleetTooLargeError(
      `${describeSelector(selection.selector)} selects ${clusterNames.length} clusters; one run applies to at most ${MAX_FLEET_CLUSTERS}: narrow the selector and run once per part`,
    );
  }
  return { listed: names.length, clusterNames, warnings: [] };
}
