import {
  type ClusterIdentity,
  type ConfigFile,
  chooseClusterConfigKey,
  clusterConfigFromFile,
  clusterConfigPrefix,
  combinedConfig,
  DEFAULTS_PREFIX,
  decodeConfigFile,
  passedOverFleetConfigWarning,
  type ResolvedConfig,
  SharedConfigError,
  sharedConfigKeys,
  unreadFleetConfigWarning,
} from '../../core/bootstrap/config-files.ts';
import type { ConfigOutcome } from '../../core/bootstrap/report.ts';
import { ConfigValidationError, issueLine } from '../../core/config/index.ts';
import { asError } from '../../core/errors.ts';
import {
  configForCluster,
  FLEET_PREFIX,
  fleetSelects,
  readFleetConfig,
} from '../../core/fleet/fleet-config.ts';

export interface FindClusterConfigInput extends ClusterIdentity {
  runId: string;
  /** The cluster's EKS tags, as the status check read them: fleet configs may select by them. */
  tags: Record<string, string>;
}

/** What the workflow branches on (`found`) and where the nested associations run reads from. */
export type FindClusterConfigResult = ConfigOutcome & {
  found: boolean;
  applied: { bucket: string; key: string } | null;
};

export interface FindClusterConfigDeps {
  bucket: string;
  listKeys(prefix: string): Promise<string[]>;
  readText(key: string): Promise<string>;
  /** Stores the config to apply in the run store; returns its key. */
  saveConfig(runId: string, value: Record<string, unknown>): Promise<string>;
}

/**
 * Finds the cluster's config by the bucket's conventions (core/bootstrap/config-files.ts),
 * validates it and stores it, identity filled in, where the nested associations run reads it.
 * Validation happens here, before the agent is installed, so a broken config changes nothing.
 */
export async function findClusterConfig(
  input: FindClusterConfigInput,
  deps: FindClusterConfigDeps,
): Promise<FindClusterConfigResult> {
  const identity = { clusterName: input.clusterName, region: input.region };
  const uri = (key: string) => `s3://${deps.bucket}/${key}`;
  const read = async (key: string): Promise<ConfigFile> => ({
    source: uri(key),
    text: await deps.readText(key),
  });

  const applied = async (
    kind: Exclude<ConfigOutcome['kind'], 'none'>,
    location: string,
    files: string[],
    resolved: ResolvedConfig,
    warnings: string[],
  ): Promise<FindClusterConfigResult> => {
    const key = await deps.saveConfig(input.runId, resolved.value);
    return {
      found: true,
      kind,
      bucket: deps.bucket,
      location,
      files,
      appliedLocation: uri(key),
      applied: { bucket: deps.bucket, key },
      entryCount: resolved.entryCount,
      warnings,
    };
  };

  // fleet/ is listed with the cluster's own file, not after it: both branches need it.
  const [ownKeys, fleetKeys] = await Promise.all([
    deps.listKeys(clusterConfigPrefix(input.clusterName)),
    deps.listKeys(FLEET_PREFIX),
  ]);
  const own = chooseClusterConfigKey(input.clusterName, ownKeys);
  const cluster = { name: input.clusterName, region: input.region, tags: input.tags };
  const readFleet = async (key: string) =>
    readFleetConfig(decodeConfigFile(await read(key)).value, uri(key));

  /**
   * The fleet configs the cluster's own file keeps from being applied: a warning for each that
   * selects the cluster, saying how to apply it, and for each that could not be read to tell.
   * None fails the run: they are not applied, so their problems must not stop the cluster's own.
   */
  const passedOver = async (ownSource: string): Promise<string[]> => {
    let keys: string[];
    try {
      keys = sharedConfigKeys(FLEET_PREFIX, input.clusterName, fleetKeys).keys;
    } catch (error) {
      if (!(error instanceof SharedConfigError)) throw error;
      return [unreadFleetConfigWarning(uri(FLEET_PREFIX), error.problems, input.clusterName)];
    }
    const warnings = await Promise.all(
      keys.map(async (key) => {
        try {
          const config = await readFleet(key);
          return fleetSelects(config, cluster)
            ? [passedOverFleetConfigWarning(config.source, ownSource, identity)]
            : [];
        } catch (error) {
          // Not applied here either way: any failure to read it is a warning, not the bootstrap's.
          const problems =
            error instanceof ConfigValidationError
              ? error.issues.map(issueLine)
              : [asError(error).message];
          return [unreadFleetConfigWarning(uri(key), problems, input.clusterName)];
        }
      }),
    );
    return warnings.flat();
  };

  if (own !== undefined) {
    const [resolved, passedOverWarnings] = await Promise.all([
      read(own.key).then((file) => clusterConfigFromFile(file, identity)),
      passedOver(uri(own.key)),
    ]);
    const warnings = [
      ...own.ignored.map(
        (key) =>
          `${uri(key)} was not used: ${uri(own.key)} comes first (.yaml, then .yml, then .json)`,
      ),
      ...passedOverWarnings,
    ];
    return applied('cluster', uri(own.key), [uri(own.key)], resolved, warnings);
  }

  const defaults = sharedConfigKeys(
    DEFAULTS_PREFIX,
    input.clusterName,
    await deps.listKeys(DEFAULTS_PREFIX),
  );
  const fleet = sharedConfigKeys(FLEET_PREFIX, input.clusterName, fleetKeys);
  const warnings = [...defaults.ignored, ...fleet.ignored].map(
    (key) => `${uri(key)} was not used: config files end in .yaml, .yml or .json`,
  );
  const [defaultsFiles, fleetFiles] = await Promise.all([
    Promise.all(defaults.keys.map(async (key) => decodeConfigFile(await read(key)))),
    Promise.all(fleet.keys.map(readFleet)),
  ]);
  const selecting = fleetFiles.filter((config) => fleetSelects(config, cluster));
  if (defaults.keys.length === 0 && selecting.length === 0) {
    return {
      found: false,
      kind: 'none',
      bucket: deps.bucket,
      location: null,
      files: [],
      appliedLocation: null,
      applied: null,
      entryCount: 0,
      warnings,
    };
  }
  const resolved = combinedConfig(
    [
      ...defaultsFiles,
      ...selecting.map((config) => ({
        source: config.source,
        value: configForCluster(config, cluster),
      })),
    ],
    identity,
  );
  const files = [...defaults.keys.map(uri), ...selecting.map((config) => config.source)];
  return selecting.length > 0
    ? applied('fleet', uri(FLEET_PREFIX), files, resolved, warnings)
    : applied('defaults', uri(DEFAULTS_PREFIX), files, resolved, warnings);
}
