/**
 * Fleet configs: one eksctl ClusterConfig for many clusters. Instead of `metadata.name`, a
 * top-level `fleet:` block selects the clusters it is for, by any of
 *
 *     fleet:
 *       clusters: [prod-eu, prod-us]   # these names
 *       namePattern: "prod-*"          # names matching a `*` / `?` glob
 *       tags: {env: prod}              # EKS cluster tags, every one given
 *
 * and a cluster is selected when it meets every condition given. A name in `clusters` must be a
 * cluster (the selecting task refuses one that is not: {@link UnknownClusterError}); a named
 * cluster the other conditions leave out is reported, not refused ({@link selectClusters}).
 * `{{cluster}}` in a namespace, a role name (also the name in a role ARN, for roles made per
 * cluster beforehand) or a tag value stands for the selected cluster's name, so one file can
 * give each cluster its own roles. The rest of the file is an ordinary
 * ClusterConfig, validated for each cluster once its name is filled in (a role name can only be
 * checked for length then).
 */

import pMap from 'p-map';
import {
  type ConfigIssue,
  ConfigValidationError,
  isClusterName,
  isRegionName,
} from '../config/index.ts';
import { closestName, listInEnglish, quote } from '../config/wording.ts';
import { isMapping } from '../config/yaml-text.ts';
import { NamedError } from '../errors.ts';
import { globMatches } from '../glob.ts';

export const FLEET_PREFIX = 'fleet/';

/** The one placeholder a fleet config may use. */
export const CLUSTER_PLACEHOLDER = '{{cluster}}';

/** EKS: at most 50 tags on a cluster, so a selector naming more can match nothing. */
const MAX_SELECTOR_TAGS = 50;

export interface FleetSelector {
  clusters?: string[];
  namePattern?: string;
  tags?: Record<string, string>;
}

/** What a selector is matched against: a cluster's name, region and EKS tags. */
export interface FleetCluster {
  name: string;
  region: string;
  tags: Readonly<Record<string, string>>;
}

/** Which clusters a fleet config is for: its selector, and its `metadata.region` if set. */
export interface FleetSelection {
  selector: FleetSelector;
  region?: string | undefined;
}

/**
 * A fleet config as read: its selector, the region it is limited to (its `metadata.region`, if
 * set) and the rest of the file, still holding its placeholders.
 */
export interface FleetConfig {
  source: string;
  selector: FleetSelector;
  region: string | undefined;
  template: Record<string, unknown>;
}

const SELECTOR_FIELDS = ['clusters', 'namePattern', 'tags'] as const;

/** A cluster name with `*` and `?` allowed: nothing else could ever match an EKS cluster name. */
const NAME_PATTERN = /^[0-9A-Za-z_*?-]{1,100}$/;

function selectorIssues(block: unknown): ConfigIssue[] {
  if (!isMapping(block)) {
    return [
      {
        path: 'fleet',
        message: `fleet must be a mapping of ${SELECTOR_FIELDS.join(', ')}, e.g. fleet: {namePattern: "prod-*"}`,
      },
    ];
  }
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(block)) {
    if (!(SELECTOR_FIELDS as readonly string[]).includes(key)) {
      issues.push({
        path: `fleet.${key}`,
        message: `unknown field "${key}"; a fleet selects clusters by ${SELECTOR_FIELDS.join(', ')}`,
      });
    }
  }
  const { clusters, namePattern, tags } = block;
  if (clusters === undefined && namePattern === undefined && tags === undefined) {
    issues.push({
      path: 'fleet',
      message: `fleet selects no cluster; give clusters, namePattern or tags (a cluster must match every one given)`,
    });
  }
  if (clusters !== undefined) {
    if (!Array.isArray(clusters) || clusters.length === 0) {
      issues.push({ path: 'fleet.clusters', message: 'must be a non-empty list of cluster names' });
    } else {
      clusters.forEach((name, index) => {
        if (typeof name !== 'string' || !isClusterName(name)) {
          issues.push({
            path: `fleet.clusters[${index}]`,
            message: `${JSON.stringify(name)} is not an EKS cluster name (1-100 letters, digits, - and _, starting with a letter or digit)`,
          });
        }
      });
    }
  }
  if (
    namePattern !== undefined &&
    (typeof namePattern !== 'string' || !NAME_PATTERN.test(namePattern))
  ) {
    issues.push({
      path: 'fleet.namePattern',
      message: `${JSON.stringify(namePattern)} is not a cluster name pattern: use letters, digits, - and _ with * (any run of characters) and ? (one character), e.g. "prod-*"`,
    });
  }
  if (tags !== undefined) {
    if (!isMapping(tags) || Object.keys(tags).length === 0) {
      issues.push({
        path: 'fleet.tags',
        message: 'must be a non-empty mapping of tag keys to values, e.g. {env: prod}',
      });
    } else {
      if (Object.keys(tags).length > MAX_SELECTOR_TAGS) {
        issues.push({
          path: 'fleet.tags',
          message: `names ${Object.keys(tags).length} tags; a cluster has at most ${MAX_SELECTOR_TAGS}, so none could match`,
        });
      }
      for (const [key, value] of Object.entries(tags)) {
        if (typeof value !== 'string') {
          issues.push({
            path: `fleet.tags.${key}`,
            message: 'must be a string (quote numbers and booleans)',
          });
        }
      }
    }
  }
  return issues;
}

/** `{{...}}` placeholders, written with any spacing, so a misspelt one is reported, not applied as text. */
const PLACEHOLDER = /\{\{[^}]*\}\}/g;

/** Where `{{cluster}}` may stand, as the messages say it. */
const PLACEHOLDER_PLACES =
  'a namespace, a role name (roleName, or the name at the end of roleARN or serviceAccountRoleARN) or a tag value';

/**
 * Where `{{cluster}}` may stand: the values these paths lead to (`*` is any index or key), in a
 * role ARN only in the role's name ({@link roleArnPlaceholderProblem}).
 */
const TEMPLATED_PATHS: readonly { path: readonly string[]; roleArn?: true }[] = [
  { path: ['metadata', 'tags', '*'] },
  { path: ['iam', 'podIdentityAssociations', '*', 'namespace'] },
  { path: ['iam', 'podIdentityAssociations', '*', 'roleName'] },
  { path: ['iam', 'podIdentityAssociations', '*', 'roleARN'], roleArn: true },
  { path: ['iam', 'podIdentityAssociations', '*', 'tags', '*'] },
  { path: ['addons', '*', 'serviceAccountRoleARN'], roleArn: true },
  { path: ['addons', '*', 'podIdentityAssociations', '*', 'roleName'] },
  { path: ['addons', '*', 'podIdentityAssociations', '*', 'roleARN'], roleArn: true },
];

function templatedPath(
  path: readonly (string | number)[],
): (typeof TEMPLATED_PATHS)[number] | undefined {
  return TEMPLATED_PATHS.find(
    (allowed) =>
      allowed.path.length === path.length &&
      allowed.path.every((segment, index) => segment === '*' || segment === path[index]),
  );
}

const ROLE_RESOURCE = ':role/';

/**
 * `{{cluster}}` in a role ARN anywhere but the role's name. The partition, account and service
 * are the deployment's, the same for every cluster; and IAM knows a role by its name alone (names
 * are unique whatever the path), so a placeholder in the path cannot give each cluster a role of
 * its own. Undefined when every placeholder stands in the name.
 */
function roleArnPlaceholderProblem(value: string): string | undefined {
  // Placeholders masked, so a slash written inside a misspelt one does not move the name's start.
  const masked = value.replace(PLACEHOLDER, (found) => '_'.repeat(found.length));
  const resource = masked.indexOf(ROLE_RESOURCE);
  const nameStart = masked.lastIndexOf('/') + 1;
  const example = `arn:aws:iam::111122223333:role/${CLUSTER_PLACEHOLDER}-reader`;
  for (const match of value.matchAll(PLACEHOLDER)) {
    if (resource === -1 || match.index < resource + ROLE_RESOURCE.length) {
      return `${match[0]} cannot stand in the partition, account or service of a role ARN, which are the same for every cluster; ${CLUSTER_PLACEHOLDER} may stand only in the role's name, after role/ and any path, e.g. ${example}`;
    }
    if (match.index < nameStart) {
      return `${match[0]} cannot stand in the role's path: IAM knows a role by its name alone, so put ${CLUSTER_PLACEHOLDER} in the name after the path, e.g. ${example}`;
    }
  }
  return undefined;
}

function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`,
    )
    .join('');
}

function placeholderIssues(value: unknown, path: (string | number)[] = []): ConfigIssue[] {
  if (typeof value === 'string') {
    const found = value.match(PLACEHOLDER) ?? [];
    if (found.length === 0) return [];
    const allowed = templatedPath(path);
    if (allowed === undefined) {
      return [
        {
          path: formatPath(path),
          message: `${found[0]} cannot be used here; ${CLUSTER_PLACEHOLDER} may stand only in ${PLACEHOLDER_PLACES}`,
        },
      ];
    }
    const unknown = found
      .filter((placeholder) => placeholder !== CLUSTER_PLACEHOLDER)
      .map((placeholder) => ({
        path: formatPath(path),
        message: `unknown placeholder ${placeholder}; the one placeholder is ${CLUSTER_PLACEHOLDER}`,
      }));
    const misplaced = allowed.roleArn ? roleArnPlaceholderProblem(value) : undefined;
    return misplaced === undefined
      ? unknown
      : [{ path: formatPath(path), message: misplaced }, ...unknown];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => placeholderIssues(item, [...path, index]));
  }
  if (isMapping(value)) {
    return Object.entries(value).flatMap(([key, item]) => [
      ...(key.match(PLACEHOLDER)
        ? [
            {
              path: formatPath([...path, key]),
              message: `${key} cannot be used as a key; ${CLUSTER_PLACEHOLDER} may stand only in ${PLACEHOLDER_PLACES}`,
            },
          ]
        : []),
      ...placeholderIssues(item, [...path, key]),
    ]);
  }
  return [];
}

/**
 * Reads a decoded fleet config: its `fleet:` block must select clusters, `metadata.name` must be
 * left out (the selector names the clusters) and `{{cluster}}` may stand only where documented.
 * Throws ConfigValidationError listing every problem. The ClusterConfig itself is validated per
 * cluster ({@link configForCluster}), once its placeholders are filled in.
 */
export function readFleetConfig(value: unknown, source: string): FleetConfig {
  const subject = `fleet config ${source}`;
  if (!isMapping(value)) {
    throw new ConfigValidationError(
      subject,
      [{ path: '', message: 'a fleet config must be an eksctl ClusterConfig with a fleet: block' }],
      source,
    );
  }
  const { fleet, ...template } = value;
  const issues =
    fleet === undefined
      ? [
          {
            path: 'fleet',
            message:
              'fleet must be set: it selects the clusters this config is for (clusters, namePattern or tags)',
          },
        ]
      : selectorIssues(fleet);
  const metadata = isMapping(template.metadata) ? template.metadata : {};
  if (metadata.name !== undefined && metadata.name !== null) {
    issues.push({
      path: 'metadata.name',
      message:
        'must be left out of a fleet config: its fleet: block names the clusters, and each gets its own name filled in',
    });
  }
  const region = metadata.region;
  if (
    region !== undefined &&
    region !== null &&
    (typeof region !== 'string' || !isRegionName(region))
  ) {
    issues.push({
      path: 'metadata.region',
      message: `${JSON.stringify(region)} is not an AWS Region; leave it out to select clusters in any region this service serves`,
    });
  }
  issues.push(...placeholderIssues(template));
  if (issues.length > 0) throw new ConfigValidationError(subject, issues, source);
  return {
    source,
    selector: fleet as FleetSelector,
    region: typeof region === 'string' ? region : undefined,
    template,
  };
}

/** Whether matching the selector needs the clusters' tags (DescribeCluster each). */
export function selectorNeedsTags(selector: FleetSelector): boolean {
  return selector.tags !== undefined;
}

/**
 * Why the config is not for the cluster, a clause per condition it fails (its region, each
 * condition its selector gives); none when the config selects it.
 */
export function exclusionReasons(config: FleetSelection, cluster: FleetCluster): string[] {
  const { clusters, namePattern, tags } = config.selector;
  const reasons: string[] = [];
  if (config.region !== undefined && config.region !== cluster.region) {
    reasons.push(
      `it is in region ${cluster.region}, and the config is limited to ${config.region}`,
    );
  }
  if (clusters !== undefined && !clusters.includes(cluster.name)) {
    reasons.push('its name is not among the clusters named');
  }
  if (namePattern !== undefined && !globMatches(namePattern, cluster.name)) {
    reasons.push(`its name does not match namePattern ${quote(namePattern)}`);
  }
  for (const [key, value] of Object.entries(tags ?? {})) {
    const found = cluster.tags[key];
    if (found === value) continue;
    reasons.push(
      found === undefined
        ? `it has no tag ${key} (the selector wants ${key}=${value})`
        : `its tag ${key} is ${quote(found)}, not ${quote(value)}`,
    );
  }
  return reasons;
}

/** Whether the config is for the cluster: its region, and every condition its selector gives. */
export function fleetSelects(config: FleetSelection, cluster: FleetCluster): boolean {
  return exclusionReasons(config, cluster).length === 0;
}

/** DescribeCluster calls at once while reading tags (EKS throttles reads per account). */
const DESCRIBE_CONCURRENCY = 5;

/** Names an error or a warning lists before "and N more". */
export const MAX_LISTED_NAMES = 10;

/** `a, b and c`, the first {@link MAX_LISTED_NAMES} and how many more; `none` for no name. */
export function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, MAX_LISTED_NAMES);
  const more = names.length - shown.length;
  return listInEnglish(more > 0 ? [...shown, `${more} more`] : shown);
}

/**
 * A selector names clusters by exact name (the `clusters` list, or the plain names of
 * `--clusters`) that are not among those it is matched against: a typo, or a cluster deleted or
 * never managed. Selecting the others would hide it (a run over the clusters that exist, reported
 * as a success), so the run stops before anything changes.
 */
export class UnknownClusterError extends NamedError {
  override readonly name = 'UnknownClusterError';
}

/** The names the selector's `clusters` gives that are not among `names`, once each, in order. */
export function unknownClusterNames(selector: FleetSelector, names: readonly string[]): string[] {
  const known = new Set(names);
  return [...new Set(selector.clusters ?? [])].filter((name) => !known.has(name));
}

/**
 * The unknown names for an error message, each quoted with what `note` knows of it and the name
 * among `candidates` it most likely meant: `"prod-ue" (did you mean "prod-eu"?)`.
 */
export function describeUnknownNames(
  unknown: readonly string[],
  candidates: readonly string[],
  note: (name: string) => string | undefined = () => undefined,
): string {
  const described = unknown.slice(0, MAX_LISTED_NAMES).map((name) => {
    const suggestion = closestName(name, candidates);
    const remarks = [
      note(name),
      suggestion === undefined ? undefined : `did you mean ${quote(suggestion)}?`,
    ].filter((remark) => remark !== undefined);
    return remarks.length === 0 ? quote(name) : `${quote(name)} (${remarks.join('; ')})`;
  });
  const more = unknown.length - described.length;
  return listInEnglish(more > 0 ? [...described, `${more} more`] : described);
}

/** The clusters a selection selects, and what the people who wrote the selector should hear. */
export interface ClusterSelection {
  /** The clusters selected, in the order given. */
  selected: string[];
  /**
   * A cluster the selector names that exists but another condition leaves out (the name is right,
   * its tags or the name pattern are not what the selector asks), and a name pattern matching no
   * name at all: each in a line.
   */
  warnings: string[];
}

/**
 * The clusters among `names` (all in `region`) the selection matches, in the order given. Their
 * tags are read only when the selector names tags; a cluster whose tags come back undefined
 * (deleted since it was listed) is not selected. `among` says what `names` are, for the warnings
 * (`the 4 clusters of region us-west-2`). Names the selector gives that are not among `names` are
 * the caller's to refuse first ({@link unknownClusterNames}).
 *
 * The conditions a selector gives must all hold, so a cluster it names exactly but whose tags (or
 * name) the other conditions refuse is left out: `--clusters prod-eu,prod-us,tag:env=prod` is a
 * list with a guard, and the guard holds. It is not a typo, so it does not stop the run, but it is
 * no silent drop either: a warning names the cluster and each condition it fails.
 */
export async function selectClusters(
  names: readonly string[],
  selection: FleetSelection,
  region: string,
  clusterTags: (name: string) => Promise<Record<string, string> | undefined>,
  among: string,
): Promise<ClusterSelection> {
  const { selector } = selection;
  const named = new Set(selector.clusters ?? []);
  const reasons = await pMap(
    names,
    async (name) => {
      const tags = selectorNeedsTags(selector) ? await clusterTags(name) : {};
      if (tags === undefined) return ['it no longer exists'];
      return exclusionReasons(selection, { name, region, tags });
    },
    { concurrency: DESCRIBE_CONCURRENCY },
  );
  const excluded = names.flatMap((name, index) =>
    named.has(name) && (reasons[index] ?? []).length > 0
      ? [`${name} is named in the selector but left out: ${listInEnglish(reasons[index] ?? [])}`]
      : [],
  );
  const warnings = excluded.slice(0, MAX_LISTED_NAMES);
  if (excluded.length > warnings.length) {
    warnings.push(
      `${excluded.length - warnings.length} more clusters named in the selector are left out by its other conditions`,
    );
  }
  const { namePattern } = selector;
  if (
    namePattern !== undefined &&
    names.length > 0 &&
    !names.some((name) => globMatches(namePattern, name))
  ) {
    warnings.push(
      `namePattern ${quote(namePattern)} matches no name among ${among}: check it for a typo (* matches any run of characters, ? one; case counts)`,
    );
  }
  return {
    selected: names.filter((_, index) => (reasons[index] ?? []).length === 0),
    warnings,
  };
}

function fillPlaceholders(value: unknown, clusterName: string): unknown {
  if (typeof value === 'string') return value.split(CLUSTER_PLACEHOLDER).join(clusterName);
  if (Array.isArray(value)) return value.map((item) => fillPlaceholders(item, clusterName));
  if (isMapping(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fillPlaceholders(item, clusterName)]),
    );
  }
  return value;
}

/**
 * The fleet config as the cluster's own ClusterConfig: `{{cluster}}` filled in, and the cluster's
 * name and region in its metadata. Validating it is the caller's (with the operation's rules).
 */
export function configForCluster(
  config: FleetConfig,
  cluster: Pick<FleetCluster, 'name' | 'region'>,
): Record<string, unknown> {
  const filled = fillPlaceholders(config.template, cluster.name) as Record<string, unknown>;
  const metadata = isMapping(filled.metadata) ? filled.metadata : {};
  return { ...filled, metadata: { ...metadata, name: cluster.name, region: cluster.region } };
}

/** A `--clusters` value (or console `clusters`) that selects nothing or cannot be read. */
export class FleetSelectorError extends NamedError {
  override readonly name = 'FleetSelectorError';
}

const CLUSTERS_FLAG_FORM =
  'give cluster names (a,b), one name pattern (prod-*) and tags (tag:env=prod), separated by commas';

/**
 * The CLI's `--clusters` (and the console input's `clusters`), which replaces a fleet config's
 * `fleet:` block: `a,b` names clusters, a term with `*` or `?` is the name pattern and
 * `tag:key=value` a tag; terms of different kinds must all match, as in the block.
 */
export function parseClustersFlag(text: string): FleetSelector {
  const terms = text
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term !== '');
  if (terms.length === 0)
    throw new FleetSelectorError(`--clusters is empty; ${CLUSTERS_FLAG_FORM}`);
  const clusters: string[] = [];
  const patterns: string[] = [];
  const tags: Record<string, string> = {};
  for (const term of terms) {
    if (term.startsWith('tag:')) {
      const [key = '', ...rest] = term.slice('tag:'.length).split('=');
      if (key === '' || rest.length === 0) {
        throw new FleetSelectorError(
          `--clusters term "${term}" is not tag:key=value; ${CLUSTERS_FLAG_FORM}`,
        );
      }
      tags[key] = rest.join('=');
    } else if (/[*?]/.test(term)) {
      patterns.push(term);
    } else {
      clusters.push(term);
    }
  }
  if (patterns.length > 1) {
    throw new FleetSelectorError(
      `--clusters gives ${patterns.length} name patterns (${patterns.join(', ')}); a cluster must match every term, so give one`,
    );
  }
  const selector: FleetSelector = {
    ...(clusters.length > 0 ? { clusters } : {}),
    ...(patterns[0] !== undefined ? { namePattern: patterns[0] } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
  };
  const issues = selectorIssues(selector);
  if (issues.length > 0) {
    throw new FleetSelectorError(
      `--clusters ${JSON.stringify(text)}: ${issues.map((issue) => issue.message).join('; ')}`,
    );
  }
  return selector;
}

/** The selector in a line: `clusters a, b; names prod-*; tags env=prod`. */
export function describeSelector(selector: FleetSelector): string {
  return [
    selector.clusters && `clusters ${selector.clusters.join(', ')}`,
    selector.namePattern && `names ${selector.namePattern}`,
    selector.tags &&
      `tags ${Object.entries(selector.tags)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ')}`,
  ]
    .filter((part) => part)
    .join('; ');
}
