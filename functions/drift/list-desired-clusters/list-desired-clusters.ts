import pMap from 'p-map';
import { InvalidRequestError } from '../../core/associations/request.ts';
import {
  clusterOfDesiredRunKey,
  type DesiredRun,
  desiredConfigKey,
} from '../../core/desired-state.ts';
import {
  describeSelector,
  describeUnknownNames,
  type FleetSelector,
  listNames,
  MAX_LISTED_NAMES,
  selectClusters,
  UnknownClusterError,
  unknownClusterNames,
} from '../../core/fleet/fleet-config.ts';
import { clustersField } from '../../core/fleet/fleet-input.ts';

/** Desired states read at once. */
const READ_CONCURRENCY = 5;

export interface ListDesiredClustersDeps {
  bucket: string;
  deploymentRegion: string;
  listKeys(prefix: string): Promise<string[]>;
  readRun(clusterName: string): Promise<DesiredRun>;
  /** The cluster's EKS tags, or undefined when the cluster no longer exists. */
  clusterTags(clusterName: string): Promise<Record<string, string> | undefined>;
}

export interface CheckedCluster {
  clusterName: string;
  config: { bucket: string; key: string };
  scope: DesiredRun['scope'];
  prune: boolean;
}

export interface DriftCheckPlan {
  heal: boolean;
  /** The clusters checked, in a line. */
  selector: string;
  clusters: CheckedCluster[];
  /** Named clusters the selector's other conditions leave out, a pattern matching no name. */
  warnings: string[];
}

const INPUT_FORM =
  'expected {clusters?: "a,b" | "prod-*" | "tag:env=prod", heal?: true|false} (the schedule sends {heal})';

function parseInput(given: unknown): { selector: FleetSelector | undefined; heal: boolean } {
  const input = typeof given === 'object' && given !== null && !Array.isArray(given) ? given : null;
  if (input === null) throw new InvalidRequestError([{ path: '', message: INPUT_FORM }]);
  const { clusters, heal, ...rest } = input as Record<string, unknown>;
  const unknown = Object.keys(rest).filter((key) => !key.startsWith('AWS_STEP_FUNCTIONS_'));
  const issues = [
    ...unknown.map((key) => ({ path: key, message: `unknown field; ${INPUT_FORM}` })),
    ...(clusters !== undefined && typeof clusters !== 'string'
      ? [{ path: 'clusters', message: `must be a string; ${INPUT_FORM}` }]
      : []),
    ...(heal !== undefined && typeof heal !== 'boolean'
      ? [{ path: 'heal', message: 'must be true or false' }]
      : []),
  ];
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return { selector: clustersField(clusters as string | undefined), heal: heal === true };
}

/**
 * Refuses a selector naming clusters that are not managed (no desired state is recorded for
 * them), saying for each whether it is a cluster of the region at all (DescribeCluster, for the
 * names listed) and which managed cluster it most likely meant.
 */
async function refuseUnmanaged(
  selector: FleetSelector,
  managed: readonly string[],
  deps: ListDesiredClustersDeps,
): Promise<void> {
  const unknown = unknownClusterNames(selector, managed);
  if (unknown.length === 0) return;
  const listed = unknown.slice(0, MAX_LISTED_NAMES);
  const exists = await pMap(listed, async (name) => (await deps.clusterTags(name)) !== undefined, {
    concurrency: READ_CONCURRENCY,
  });
  const existing = new Set(listed.filter((_, index) => exists[index]));
  const one = unknown.length === 1;
  const described = describeUnknownNames(unknown, managed, (name) =>
    existing.has(name)
      ? `a cluster of region ${deps.deploymentRegion}, but no apply of a config was recorded for it`
      : `no cluster of that name in region ${deps.deploymentRegion}`,
  );
  throw new UnknownClusterError(
    `${describeSelector(selector)}: ${one ? 'a named cluster is' : `${unknown.length} named clusters are`} not managed: ${described}. Managed clusters: ${listNames(managed)}. Nothing was checked: correct or remove ${one ? 'the name' : 'those names'}; a cluster is managed once an apply (not a dry run) of a config has run on it`,
  );
}

/**
 * The clusters whose desired state the service keeps (every cluster an apply was recorded for),
 * narrowed by the input's `clusters`, each with where its desired config is and how it was
 * applied, for the drift check to plan that apply again. A cluster the input names that is not
 * managed stops the check (UnknownClusterError), as in a fleet run: checking the others would
 * report "in sync" for a cluster nobody checked.
 */
export async function listDesiredClusters(
  input: unknown,
  deps: ListDesiredClustersDeps,
): Promise<DriftCheckPlan> {
  const { selector, heal } = parseInput(input);
  const recorded = (await deps.listKeys('desired/'))
    .map(clusterOfDesiredRunKey)
    .filter((name): name is string => name !== undefined)
    .sort();
  if (selector !== undefined) await refuseUnmanaged(selector, recorded, deps);
  const { selected, warnings } =
    selector === undefined
      ? { selected: recorded, warnings: [] }
      : await selectClusters(
          recorded,
          { selector },
          deps.deploymentRegion,
          deps.clusterTags,
          `the ${recorded.length} managed cluster${recorded.length === 1 ? '' : 's'}`,
        );
  const clusters = await pMap(
    selected,
    async (clusterName) => {
      const run = await deps.readRun(clusterName);
      return {
        clusterName,
        config: { bucket: deps.bucket, key: desiredConfigKey(clusterName) },
        scope: run.scope,
        prune: run.prune,
      };
    },
    { concurrency: READ_CONCURRENCY },
  );
  return {
    heal,
    selector: selector === undefined ? 'every managed cluster' : describeSelector(selector),
    clusters,
    warnings,
  };
}
