import pMap from 'p-map';
import type { SealedDocument } from '../../aws/run-store.ts';
import {
  type ConfigIssue,
  ConfigValidationError,
  parseClusterConfigValue,
} from '../../core/config/index.ts';
import { configForCluster, type FleetConfig } from '../../core/fleet/fleet-config.ts';

/** Cluster configs written to the run store at once. */
const SAVE_CONCURRENCY = 8;

export interface PrepareFleetConfigsInput {
  runId: string;
  /** The fleet config read-fleet-config checked, by its seal. */
  config: SealedDocument;
  clusterNames: string[];
}

export interface PrepareFleetConfigsDeps {
  /** The deployment's region, where the selected clusters are. */
  region: string;
  readConfig(sealed: SealedDocument): Promise<FleetConfig>;
  saveClusterConfig(
    runId: string,
    clusterName: string,
    value: Record<string, unknown>,
  ): Promise<{ bucket: string; key: string }>;
}

export interface PreparedCluster {
  clusterName: string;
  config: { bucket: string; key: string };
}

/**
 * The fleet config as each selected cluster's own, `{{cluster}}` filled in, checked with the
 * rules of apply. A problem for any cluster (a role name too long once the name is in it, say)
 * fails the run here, every problem listed with its cluster, before any cluster is touched;
 * otherwise each cluster's config is stored for its nested associations run.
 */
export async function prepareFleetConfigs(
  input: PrepareFleetConfigsInput,
  deps: PrepareFleetConfigsDeps,
): Promise<{ clusters: PreparedCluster[] }> {
  const fleet = await deps.readConfig(input.config);
  const configs = input.clusterNames.map((name) => ({
    name,
    value: configForCluster(fleet, { name, region: deps.region }),
  }));
  const issues: ConfigIssue[] = configs.flatMap(({ name, value }) => {
    try {
      parseClusterConfigValue(value, { operation: 'apply', scope: 'all', source: fleet.source });
      return [];
    } catch (error) {
      if (!(error instanceof ConfigValidationError)) throw error;
      return error.issues.map((issue) => ({
        path: issue.path,
        message: `for cluster "${name}": ${issue.message}`,
      }));
    }
  });
  if (issues.length > 0) {
    throw new ConfigValidationError(`fleet config ${fleet.source}`, issues, fleet.source);
  }
  const clusters = await pMap(
    configs,
    async ({ name, value }) => ({
      clusterName: name,
      config: await deps.saveClusterConfig(input.runId, name, value),
    }),
    { concurrency: SAVE_CONCURRENCY },
  );
  return { clusters };
}
