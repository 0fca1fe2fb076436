import pMap from 'p-map';
import { InvalidRequestError } from '../../core/associations/request.ts';
import {
  clusterOfDesiredRunKey,
  type DesiredRun,
  desiredConfigKey,
} from '../../core/desired-state.ts';
import {
  describeSelector,
  type FleetSelector,
  selectClusters,
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
 * The clusters whose desired state the service keeps (every cluster an apply was recorded for),
 * narrowed by the input's `clusters`, each with where its desired config is and how it was
 * applied, for the drift check to plan that apply again.
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
  const selected =
    selector === undefined
      ? recorded
      : await selectClusters(recorded, { selector }, deps.deploymentRegion, deps.clusterTags);
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
  };
}
