import { NamedError } from '../../core/errors.ts';
import {
  describeSelector,
  describeUnknownNames,
  type FleetSelection,
  listNames,
  selectClusters,
  UnknownClusterError,
  unknownClusterNames,
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
 * cluster's tags only when the selector names tags. A cluster the selector names that does not
 * exist stops the run here, before any cluster is touched (UnknownClusterError): applying to the
 * others would report a success that left out a cluster someone asked for by name.
 */
export async function selectFleetClusters(
  input: SelectFleetClustersInput,
  deps: SelectFleetClustersDeps,
): Promise<SelectedClusters> {
  const { selection } = input;
  const region = deps.deploymentRegion;
  if (selection.region !== undefined && selection.region !== region) {
    return {
      listed: 0,
      clusterNames: [],
      warnings: [
        `the config's metadata.region is ${selection.region}, so it selects no cluster of this deployment's region ${region}; run it where that region's clusters are served`,
      ],
    };
  }
  const names = (await deps.listClusters()).sort();
  const unknown = unknownClusterNames(selection.selector, names);
  if (unknown.length > 0) {
    const one = unknown.length === 1;
    throw new UnknownClusterError(
      `${describeSelector(selection.selector)}: ${one ? 'a named cluster does' : `${unknown.length} named clusters do`} not exist in region ${region}: ${describeUnknownNames(unknown, names)}. The region's clusters: ${listNames(names)}. Nothing was changed: correct or remove ${one ? 'the name' : 'those names'} (a name must match exactly; a namePattern or tags also select clusters created later)`,
    );
  }
  const { selected, warnings } = await selectClusters(
    names,
    selection,
    region,
    deps.clusterTags,
    `the ${names.length} cluster${names.length === 1 ? '' : 's'} of region ${region}`,
  );
  if (selected.length > MAX_FLEET_CLUSTERS) {
    throw new FleetTooLargeError(
      `${describeSelector(selection.selector)} selects ${selected.length} clusters; one run applies to at most ${MAX_FLEET_CLUSTERS}: narrow the selector and run once per part`,
    );
  }
  return { listed: names.length, clusterNames: selected, warnings };
}
