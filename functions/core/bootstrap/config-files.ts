/**
 * Where a new cluster's eksctl config lives in the config bucket, and how it becomes the one
 * config the associations workflow applies.
 *
 * 1. `clusters/<cluster name>.yaml` (else `.yml`, else `.json`; extensions in any case): the
 *    cluster's own file. Its `metadata.name` and `metadata.region` may be left out and are then
 *    filled in; if set, they must name this cluster and region.
 * 2. Otherwise every config file under `defaults/` (subfolders included), in S3 key order, then
 *    every fleet config under `fleet/` whose `fleet:` block selects the cluster
 *    (core/fleet/fleet-config.ts), `{{cluster}}` filled in. Each file's `metadata.name` and
 *    `metadata.region` are replaced by the new cluster's; their `iam.podIdentityAssociations`
 *    and `addons` are applied together as one config, with their `metadata.tags` combined. A
 *    service account in two files, or a tag with two values, is an error naming both files.
 *    Nothing else of these files is used.
 * 3. None of these: the cluster gets the agent only.
 *
 * A per-cluster file replaces the others; it does not add to them. The fleet configs that select
 * the cluster are still read, so the report can name each one left out and say how to apply it
 * ({@link passedOverFleetConfigWarning}): a cluster created to match a fleet config would
 * otherwise miss it without a word. No prefix here is a trigger prefix (`create/`, `update/`,
 * `delete/`, `apply/`), so uploading these files starts nothing.
 */
import { CONFIG_EXTENSIONS } from '../associations/request.ts';
import {
  API_VERSION,
  associationKey,
  ConfigValidationError,
  KIND,
  MAX_CONFIG_BYTES,
  parseClusterConfigValue,
} from '../config/index.ts';
import { decodeYaml, isMapping } from '../config/yaml-text.ts';
import { NamedError } from '../errors.ts';
import { BOOTSTRAP_DOCUMENTS } from '../run-documents.ts';

export const CLUSTERS_PREFIX = 'clusters/';
export const DEFAULTS_PREFIX = 'defaults/';

/**
 * The run document holding the config a bootstrap run applies (`runs/<runId>/cluster-config.json`),
 * which the nested associations run reads.
 */
export const APPLIED_CONFIG_DOCUMENT = BOOTSTRAP_DOCUMENTS.appliedConfig.name;

/**
 * Config files read under each of `defaults/` and `fleet/`: each is one S3 read in one task
 * invocation, and this keeps them well within a minute.
 */
export const MAX_SHARED_FILES = 100;

export interface ClusterIdentity {
  clusterName: string;
  region: string;
}

/** A config file as read: where it came from (`s3://bucket/key`, for messages) and its text. */
export interface ConfigFile {
  source: string;
  text: string;
}

/** The config to apply, as plain data, and how many associations it holds. */
export interface ResolvedConfig {
  value: Record<string, unknown>;
  entryCount: number;
}

/** A per-cluster file whose metadata names another cluster or region than its key says. */
export class ClusterConfigMismatchError extends NamedError {
  override readonly name = 'ClusterConfigMismatchError';
}

/** The defaults and fleet configs cannot be applied together (or there are too many of them). */
export class SharedConfigError extends NamedError {
  override readonly name = 'SharedConfigError';
  readonly problems: readonly string[];

  constructor(clusterName: string, problems: readonly string[]) {
    super(
      [
        `the defaults and fleet configs for cluster "${clusterName}" cannot be applied:`,
        ...problems,
      ].join('\n- '),
    );
    this.problems = problems;
  }
}

/** S3 lists keys in UTF-8 byte order; sorting the same way keeps "key order" one order. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The config extension a key ends with (lowercased), if any. */
function extensionOf(key: string): (typeof CONFIG_EXTENSIONS)[number] | undefined {
  const lower = key.toLowerCase();
  return CONFIG_EXTENSIONS.find((extension) => lower.endsWith(extension));
}

/** The prefix to list for a cluster's own file; cluster names hold no dot, so it is unambiguous. */
export function clusterConfigPrefix(clusterName: string): string {
  return `${CLUSTERS_PREFIX}${clusterName}.`;
}

/**
 * The cluster's own file among listed keys: `.yaml` before `.yml` before `.json`; the others
 * found for the same cluster are returned as ignored so the report can say so.
 */
export function chooseClusterConfigKey(
  clusterName: string,
  keys: readonly string[],
): { key: string; ignored: string[] } | undefined {
  const base = `${CLUSTERS_PREFIX}${clusterName}`;
  const candidates = keys
    .flatMap((key) => {
      const extension = extensionOf(key);
      const exact =
        extension !== undefined &&
        key.length === base.length + extension.length &&
        key.startsWith(base);
      return exact ? [{ key, rank: CONFIG_EXTENSIONS.indexOf(extension) }] : [];
    })
    .sort((a, b) => a.rank - b.rank || byteOrder(a.key, b.key))
    .map((candidate) => candidate.key);
  const [key, ...ignored] = candidates;
  return key === undefined ? undefined : { key, ignored };
}

/** The config files among the keys listed under `prefix` (defaults/, fleet/), in key order, and the rest. */
export function sharedConfigKeys(
  prefix: string,
  clusterName: string,
  keys: readonly string[],
): { keys: string[]; ignored: string[] } {
  const under = keys.filter((key) => key.startsWith(prefix) && !key.endsWith('/'));
  const configs = under.filter((key) => extensionOf(key) !== undefined).sort(byteOrder);
  if (configs.length > MAX_SHARED_FILES) {
    throw new SharedConfigError(clusterName, [
      `there are ${configs.length} config files under ${prefix}; at most ${MAX_SHARED_FILES} are read, so combine some of them`,
    ]);
  }
  return { keys: configs, ignored: under.filter((key) => extensionOf(key) === undefined) };
}

/**
 * A fleet config that selects the cluster but is not applied, the cluster's own file replacing it:
 * how to apply it to this cluster alone (the CLI reads the file from standard input), or to fold
 * its entries into the cluster's file.
 */
export function passedOverFleetConfigWarning(
  fleetSource: string,
  ownSource: string,
  identity: ClusterIdentity,
): string {
  return (
    `${fleetSource} selects cluster "${identity.clusterName}" but was not applied: the cluster's own file ${ownSource} replaces the defaults and fleet configs. ` +
    `To apply it too, run aws s3 cp ${fleetSource} - | eks-pia apply podidentityassociation -f - --clusters ${identity.clusterName} --region ${identity.region}; ` +
    `or copy its entries into ${ownSource}`
  );
}

/**
 * A fleet config (or all of them, when there are too many to read) that could not be read to
 * tell whether it selects a cluster with its own file. The cluster's file is applied regardless;
 * the problems would fail the bootstrap of every new cluster without a file of its own.
 */
export function unreadFleetConfigWarning(
  source: string,
  problems: readonly string[],
  clusterName: string,
): string {
  // A warning travels in the bootstrap's state: a few broken files must not fill its 256 KiB.
  const shown = problems.slice(0, MAX_PROBLEMS_PER_WARNING);
  const more = problems.length - shown.length;
  return [
    `${source} could not be read to tell whether it selects cluster "${clusterName}"; fix it, or a new cluster without a file of its own fails to bootstrap on it:`,
    ...shown,
    ...(more > 0 ? [`and ${more} more problem${more === 1 ? '' : 's'}`] : []),
  ].join('\n- ');
}

/** Problems of one unreadable fleet config named in a bootstrap warning. */
const MAX_PROBLEMS_PER_WARNING = 5;

/** A config file decoded from YAML or JSON, not yet validated. */
export interface DecodedConfigFile {
  source: string;
  value: unknown;
}

export function decodeConfigFile(file: ConfigFile): DecodedConfigFile {
  const decoded = decodeYaml(file.text);
  if ('value' in decoded) return { source: file.source, value: decoded.value };
  throw new ConfigValidationError(
    `ClusterConfig ${file.source}`,
    decoded.problems.map((message) => ({ path: '', message })),
    file.source,
  );
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/**
 * The config with the cluster's name and region in its metadata: only where they are blank
 * (`fill`), or whatever they held (`replace`). Anything that is not a mapping is left for the
 * validation to report.
 */
function withIdentity(
  value: unknown,
  identity: ClusterIdentity,
  mode: 'fill' | 'replace',
): unknown {
  if (!isMapping(value)) return value;
  const metadata = value.metadata ?? {};
  if (!isMapping(metadata)) return value;
  const take = (current: unknown, filled: string) =>
    mode === 'replace' || isBlank(current) ? filled : current;
  return {
    ...value,
    metadata: {
      ...metadata,
      name: take(metadata.name, identity.clusterName),
      region: take(metadata.region, identity.region),
    },
  };
}

/** The cluster's own file, validated for `apply`, with its name and region filled in. */
export function clusterConfigFromFile(file: ConfigFile, identity: ClusterIdentity): ResolvedConfig {
  const value = withIdentity(decodeConfigFile(file).value, identity, 'fill');
  // The bootstrap applies the file's addons: section too, so a file of add-ons alone is complete.
  const config = parseClusterConfigValue(value, {
    operation: 'apply',
    scope: 'all',
    source: file.source,
  });
  const mismatches: string[] = [];
  if (config.metadata.name !== identity.clusterName) {
    mismatches.push(`metadata.name is "${config.metadata.name}"`);
  }
  if (config.metadata.region !== identity.region) {
    mismatches.push(`metadata.region is ${config.metadata.region}`);
  }
  if (mismatches.length > 0) {
    throw new ClusterConfigMismatchError(
      `${file.source} is the config of cluster "${identity.clusterName}" in ${identity.region} by its key, but its ${mismatches.join(' and ')}; correct the file, or leave metadata.name and metadata.region out to have them filled in`,
    );
  }
  return {
    value: value as Record<string, unknown>,
    entryCount: config.iam?.podIdentityAssociations?.length ?? 0,
  };
}

function associationsOf(value: unknown): unknown[] {
  if (!isMapping(value) || !isMapping(value.iam)) return [];
  const list = value.iam.podIdentityAssociations;
  return Array.isArray(list) ? list : [];
}

/**
 * The defaults and fleet files (in the order given) as one config for the cluster. Each file is
 * validated on its own first, so a problem is reported against the file that has it.
 */
export function combinedConfig(
  files: readonly DecodedConfigFile[],
  identity: ClusterIdentity,
): ResolvedConfig {
  const associations: unknown[] = [];
  const associationSources = new Map<string, string>();
  const addons: unknown[] = [];
  const addonSources = new Map<string, string>();
  let autoApply: { value: boolean; source: string } | undefined;
  const tags: Record<string, string> = {};
  const tagSources = new Map<string, string>();
  const problems: string[] = [];

  for (const file of files) {
    const value = withIdentity(file.value, identity, 'replace');
    const config = parseClusterConfigValue(value, {
      operation: 'apply',
      scope: 'all',
      source: file.source,
    });
    const written = associationsOf(value);
    const writtenAddons = isMapping(value) && Array.isArray(value.addons) ? value.addons : [];
    (config.addons ?? []).forEach((addon, index) => {
      const first = addonSources.get(addon.name);
      if (first === undefined) {
        addonSources.set(addon.name, file.source);
        addons.push(writtenAddons[index]);
      } else {
        problems.push(
          `addon ${addon.name} is in both ${first} and ${file.source}; keep it in one of them`,
        );
      }
    });
    const fileAutoApply = config.addonsConfig?.autoApplyPodIdentityAssociations;
    if (fileAutoApply !== undefined) {
      if (autoApply === undefined) autoApply = { value: fileAutoApply, source: file.source };
      else if (autoApply.value !== fileAutoApply) {
        problems.push(
          `addonsConfig.autoApplyPodIdentityAssociations is ${autoApply.value} in ${autoApply.source} but ${fileAutoApply} in ${file.source}; give it one value`,
        );
      }
    }
    (config.iam?.podIdentityAssociations ?? []).forEach((entry, index) => {
      const key = associationKey(entry.namespace, entry.serviceAccountName);
      const first = associationSources.get(key);
      if (first === undefined) {
        associationSources.set(key, file.source);
        associations.push(written[index]);
      } else {
        problems.push(
          `service account ${key} is in both ${first} and ${file.source}; keep it in one of them`,
        );
      }
    });
    for (const [tag, tagValue] of Object.entries(config.metadata.tags ?? {})) {
      const first = tagSources.get(tag);
      if (first === undefined) {
        tagSources.set(tag, file.source);
        tags[tag] = tagValue;
      } else if (tags[tag] !== tagValue) {
        problems.push(
          `metadata.tags.${tag} is "${tags[tag]}" in ${first} but "${tagValue}" in ${file.source}; give it one value`,
        );
      }
    }
  }
  if (problems.length > 0) throw new SharedConfigError(identity.clusterName, problems);

  const value: Record<string, unknown> = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: identity.clusterName,
      region: identity.region,
      ...(tagSources.size > 0 ? { tags } : {}),
    },
    ...(associations.length > 0 || addons.length === 0
      ? { iam: { podIdentityAssociations: associations } }
      : {}),
    ...(addons.length > 0 ? { addons } : {}),
    ...(autoApply === undefined
      ? {}
      : { addonsConfig: { autoApplyPodIdentityAssociations: autoApply.value } }),
  };
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    throw new SharedConfigError(identity.clusterName, [
      `together the defaults and fleet files make a config of ${bytes} bytes; a config is limited to ${MAX_CONFIG_BYTES} bytes, so move associations into per-cluster files`,
    ]);
  }
  // Limits that hold per file can still be broken by the files together (tags per cluster, say).
  parseClusterConfigValue(value, {
    operation: 'apply',
    scope: 'all',
    source: `combined from the defaults and fleet files for cluster "${identity.clusterName}"`,
  });
  return { value, entryCount: associations.length };
}
