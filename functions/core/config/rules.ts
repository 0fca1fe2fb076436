/**
 * What a well-typed ClusterConfig must satisfy, by operation.
 *
 * eksctl's rules (spec §1.4) keep eksctl's exact wording. The checks eksctl lacks (name and
 * ARN shapes, duplicate service accounts, tag limits, JSON of session policies) say what is
 * wrong and how to fix it. Unlike eksctl, which stops at the first failing entry, every rule
 * runs on every entry so one run reports everything.
 *
 * | operation     | rules                                                                  |
 * |---------------|------------------------------------------------------------------------|
 * | create, apply | metadata; eksctl 1-5; session policy needs disableSessionTags;         |
 * |               | permissionPolicyName; addons; shapes; duplicates                       |
 * | update,delete | metadata; eksctl 1-3; addons; shapes; duplicates                       |
 * | get           | metadata                                                               |
 */

import { OWNERSHIP_TAG_KEYS, SERVICE_ACCOUNT_CREATED_TAG } from '../naming.ts';
import { PolicyDocumentError, parsePolicyDocument } from '../policy-document.ts';
import {
  isClusterName,
  isNamespaceName,
  isPolicyArn,
  isPolicyName,
  isRegionName,
  isRoleArn,
  isRoleName,
  isServiceAccountName,
  overlongRoleArnName,
} from './formats.ts';
import { type ConfigIssue, joinPath } from './issues.ts';
import type { Operation } from './operations.ts';
import {
  type AddonConfig,
  associationKey,
  type ClusterMetadata,
  carriesPermissions,
  hasPermissionPolicy,
  hasWellKnownPolicy,
  type PodIdentityAssociationConfig,
} from './schema.ts';
import { describeValue, quote } from './wording.ts';
import { decodeYaml, isMapping } from './yaml-text.ts';

/**
 * The sections of a config a run acts on: `create podidentityassociation -f` reads only
 * `iam.podIdentityAssociations`, `create addon -f` only `addons`, an S3 drop or the bootstrap both.
 */
export const SCOPES = ['all', 'associations', 'addons'] as const;
export type Scope = (typeof SCOPES)[number];

export const MAX_TAGS_PER_ASSOCIATION = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
/** EKS's limit on an association's session `policy`, in characters of the text as sent. */
export const MAX_SESSION_POLICY_LENGTH = 2048;

const POD_IDENTITY_AGENT_ADDON = 'eks-pod-identity-agent';
const ROLE_SOURCES = ['roleARN', 'permissionPolicy', 'permissionPolicyARNs', 'wellKnownPolicies'];

/** A problem in one association; `field` is left out when the entry as a whole is meant. */
interface Finding {
  field?: string;
  message: string;
}

function toIssue(entryPath: string, finding: Finding): ConfigIssue {
  return {
    path: finding.field === undefined ? entryPath : joinPath(entryPath, finding.field),
    message: finding.message,
  };
}

function createsRoles(operation: Operation): boolean {
  return operation === 'create' || operation === 'apply';
}

// --- eksctl's rules; `p` is the entry's path as eksctl's message spells it -------------------

/** eksctl rules 2 and 3. */
function requiredFields(entry: PodIdentityAssociationConfig, p: string): Finding[] {
  const findings: Finding[] = [];
  for (const field of ['namespace', 'serviceAccountName'] as const) {
    if (entry[field] === '') findings.push({ field, message: `${joinPath(p, field)} must be set` });
  }
  return findings;
}

/** eksctl rules 4 and 5: a role is given, or what to build one from, never both. */
function roleSources(entry: PodIdentityAssociationConfig, p: string): Finding[] {
  const set = {
    permissionPolicy: hasPermissionPolicy(entry),
    permissionPolicyARNs: (entry.permissionPolicyARNs?.length ?? 0) > 0,
    wellKnownPolicies: hasWellKnownPolicy(entry.wellKnownPolicies),
  };
  if ((entry.roleARN ?? '') === '') {
    if (Object.values(set).some(Boolean)) return [];
    const fields = ROLE_SOURCES.map((field) => joinPath(p, field)).join(', ');
    return [{ message: `at least one of the following must be specified: ${fields}` }];
  }
  return Object.entries(set)
    .filter(([, isSet]) => isSet)
    .map(([field]) => ({
      field,
      message: `${joinPath(p, field)} cannot be specified when ${joinPath(p, 'roleARN')} is set`,
    }));
}

/**
 * An empty `policy` (`--policy ""`) asks for no session policy: an update removes the one the
 * association has, as EKS does when given an empty policy.
 */
function givesSessionPolicy(entry: PodIdentityAssociationConfig): boolean {
  return (entry.policy ?? '') !== '';
}

function sessionPolicyNeedsNoSessionTags(entry: PodIdentityAssociationConfig): Finding[] {
  return givesSessionPolicy(entry) && entry.disableSessionTags !== true
    ? [
        {
          field: 'disableSessionTags',
          message: '--disable-session-tags must be set to true when using --policy',
        },
      ]
    : [];
}

function permissionPolicyNameRules(entry: PodIdentityAssociationConfig, p: string): Finding[] {
  const name = entry.permissionPolicyName ?? '';
  if (name === '') return [];
  const prefix = p === '' ? '' : `${p}: `;
  const findings: Finding[] = [];
  if (!hasPermissionPolicy(entry)) {
    findings.push({ message: `${prefix}permissionPolicyName requires permissionPolicy to be set` });
  }
  if (!/[A-Za-z0-9]/.test(name)) {
    findings.push({
      message: `${prefix}permissionPolicyName ${quote(name)} must contain at least one alphanumeric character`,
    });
  } else if (!isPolicyName(name)) {
    findings.push({
      field: 'permissionPolicyName',
      message: `${quote(name)} is not a valid IAM policy name; use 1 to 128 letters, digits and the characters + = , . @ _ -`,
    });
  }
  return findings;
}

// --- checks eksctl lacks --------------------------------------------------------------------

function roleArnProblem(value: string): string | undefined {
  if (isRoleArn(value)) return undefined;
  const longName = overlongRoleArnName(value);
  if (longName !== undefined) {
    return `${quote(value)} names a role of ${longName.length} characters, and IAM allows at most 64 in a role name; shorten the name after role/`;
  }
  if (isPolicyArn(value)) {
    return `${quote(value)} is an IAM policy ARN, but a role ARN is needed here (arn:<partition>:iam::<account ID>:role/<name>)`;
  }
  return (
    `${quote(value)} is not a valid IAM role ARN; write it as ` +
    'arn:<partition>:iam::<12-digit account ID>:role/<name>, where the name may follow a path ' +
    '(role/teams/app) and the partition is aws, aws-cn or aws-us-gov'
  );
}

function policyArnProblem(value: string): string | undefined {
  if (isPolicyArn(value)) return undefined;
  if (isRoleArn(value)) {
    return `${quote(value)} is an IAM role ARN, but a policy ARN is needed here (arn:<partition>:iam::<account ID or aws>:policy/<name>)`;
  }
  return (
    `${quote(value)} is not a valid IAM policy ARN; write it as ` +
    'arn:<partition>:iam::aws:policy/<name> for an AWS managed policy or ' +
    'arn:<partition>:iam::<12-digit account ID>:policy/<name> for your own, ' +
    'where the partition is aws, aws-cn or aws-us-gov'
  );
}

function sessionPolicyProblem(text: string): string | undefined {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return (
      'is not valid JSON; write the session policy as a JSON document, ' +
      `e.g. policy: '{"Version": "2012-10-17", "Statement": [...]}'`
    );
  }
  if (!isMapping(document)) {
    return `must be a JSON object (an IAM policy document), got ${describeValue(document)}`;
  }
  try {
    parsePolicyDocument(document);
  } catch (error) {
    if (!(error instanceof PolicyDocumentError)) throw error;
    return `is not an IAM policy document: ${error.message}`;
  }
  const length = characterCount(text);
  if (length > MAX_SESSION_POLICY_LENGTH) {
    return `is ${length} characters long; EKS accepts session policies of at most ${MAX_SESSION_POLICY_LENGTH} characters, so grant less or move permissions into the role`;
  }
  return undefined;
}

function characterCount(text: string): number {
  return [...text].length;
}

/**
 * The tags eks-pia adds to an association it creates: the ownership tags, and the mark of a
 * service account it created. They count against EKS's limit like the user's own.
 */
export function addedAssociationTags(entry: PodIdentityAssociationConfig): string[] {
  return [
    ...Object.values(OWNERSHIP_TAG_KEYS),
    ...(entry.createServiceAccount === true ? [SERVICE_ACCOUNT_CREATED_TAG] : []),
  ];
}

function tagProblems(tags: Readonly<Record<string, string>>, added: readonly string[]): string[] {
  const problems: string[] = [];
  const entries = Object.entries(tags);
  const total = new Set([...Object.keys(tags), ...added]).size;
  if (total > MAX_TAGS_PER_ASSOCIATION) {
    problems.push(
      added.length === 0
        ? `has ${entries.length} tags; an association can have at most ${MAX_TAGS_PER_ASSOCIATION}`
        : `has ${entries.length} tags; with the ${added.length} tags eks-pia adds (${added.join(', ')}) the association would have ${total}, over EKS's limit of ${MAX_TAGS_PER_ASSOCIATION}; keep at most ${MAX_TAGS_PER_ASSOCIATION - added.length} tags of your own`,
    );
  }
  for (const [key, value] of entries) {
    if (key === '') {
      problems.push('tag keys cannot be empty');
    } else if (characterCount(key) > MAX_TAG_KEY_LENGTH) {
      problems.push(
        `tag key ${quote(key)} is ${characterCount(key)} characters long; tag keys can be at most ${MAX_TAG_KEY_LENGTH}`,
      );
    } else if (key.toLowerCase().startsWith('aws:')) {
      problems.push(
        `tag key ${quote(key)} starts with "aws:", which AWS reserves for its own tags; choose another key`,
      );
    } else {
      problems.push(...reservedTagKeyProblems([key]));
    }
    if (characterCount(value) > MAX_TAG_VALUE_LENGTH) {
      problems.push(
        `the value of tag ${quote(key)} is ${characterCount(value)} characters long; tag values can be at most ${MAX_TAG_VALUE_LENGTH}`,
      );
    }
  }
  return problems;
}

/** The prefix of the tags eks-pia records ownership with (naming.ts OWNERSHIP_TAG_KEYS). */
const RESERVED_TAG_PREFIX = 'eks-pia/';

/**
 * Tag keys a config may not set: eks-pia's own. A delete or a reconcile trusts them to say what
 * eks-pia created (`eks-pia/service-account-created` lets a delete remove a service account), so
 * a config setting one could have eks-pia delete or take over what it never made. IAM and EKS
 * take keys without regard to case, and so does this check.
 */
export function reservedTagKeyProblems(keys: Iterable<string>): string[] {
  return [...keys]
    .filter((key) => key.toLowerCase().startsWith(RESERVED_TAG_PREFIX))
    .map(
      (key) =>
        `tag key ${quote(key)} starts with "${RESERVED_TAG_PREFIX}", which eks-pia reserves for the tags that record what it created; choose another key`,
    );
}

/**
 * What IAM allows in a tag key or value (its API's patterns), narrower than EKS: tags that go on a
 * role eks-pia creates must fit it, or CreateRole fails part-way through a run.
 */
const IAM_TAG_CHARACTER = /[\p{L}\p{Z}\p{N}_.:/=+\-@]/u;

export function iamTagCharacterProblems(tags: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(tags)) {
    for (const [part, text] of [
      ['key', key],
      ['value', value],
    ] as const) {
      const refused = [...new Set([...text].filter((char) => !IAM_TAG_CHARACTER.test(char)))];
      if (refused.length === 0) continue;
      problems.push(
        `the ${part} of tag ${quote(key)} has ${refused.map((char) => quote(char)).join(', ')}; roles eks-pia creates or manages carry this tag, and IAM allows in tag keys and values only letters, digits, spaces and _ . : / = + - @`,
      );
    }
  }
  return problems;
}

/** `metadata.tags`, which go on every role eks-pia creates for the config. */
function roleTagIssues(tags: Readonly<Record<string, string>>): ConfigIssue[] {
  return [...tagProblems(tags, []), ...iamTagCharacterProblems(tags)].map((message) => ({
    path: 'metadata.tags',
    message,
  }));
}

/** Shapes of names, ARNs and documents in one association. */
function shapes(
  entry: PodIdentityAssociationConfig,
  options: { tags: boolean; addedTags?: readonly string[] },
): Finding[] {
  const findings: Finding[] = [];
  const add = (field: string, message: string | undefined): void => {
    if (message !== undefined) findings.push({ field, message });
  };
  if (entry.namespace !== '' && !isNamespaceName(entry.namespace)) {
    add(
      'namespace',
      `${quote(entry.namespace)} is not a valid Kubernetes namespace name; use at most 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit`,
    );
  }
  if (entry.serviceAccountName !== '' && !isServiceAccountName(entry.serviceAccountName)) {
    add(
      'serviceAccountName',
      `${quote(entry.serviceAccountName)} is not a valid Kubernetes service account name; use at most 253 lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit`,
    );
  }
  if (entry.roleARN) add('roleARN', roleArnProblem(entry.roleARN));
  if (entry.targetRoleARN) add('targetRoleARN', roleArnProblem(entry.targetRoleARN));
  if (entry.permissionsBoundaryARN) {
    add('permissionsBoundaryARN', policyArnProblem(entry.permissionsBoundaryARN));
  }
  entry.permissionPolicyARNs?.forEach((arn, index) => {
    add(`permissionPolicyARNs[${index}]`, policyArnProblem(arn));
  });
  if (entry.roleName && !isRoleName(entry.roleName)) {
    add(
      'roleName',
      `${quote(entry.roleName)} is not a valid IAM role name; use 1 to 64 letters, digits and the characters + = , . @ _ -`,
    );
  }
  if (hasPermissionPolicy(entry) && entry.permissionPolicy?.Statement === undefined) {
    add(
      'permissionPolicy',
      'has no Statement; an IAM policy document lists its permissions under Statement, e.g. {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["s3:GetObject"], Resource: "*"}]}',
    );
  }
  if (entry.policy !== undefined && givesSessionPolicy(entry)) {
    add('policy', sessionPolicyProblem(entry.policy));
  }
  if (options.tags && entry.tags !== undefined) {
    for (const problem of tagProblems(entry.tags, options.addedTags ?? [])) add('tags', problem);
  }
  return findings;
}

// --- per part -------------------------------------------------------------------------------

function metadataIssues(metadata: ClusterMetadata): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (metadata.name === '') {
    issues.push({ path: 'metadata.name', message: 'metadata.name must be set' });
  } else if (!isClusterName(metadata.name)) {
    issues.push({
      path: 'metadata.name',
      message: `${quote(metadata.name)} is not a valid EKS cluster name; use 1 to 100 letters, digits, hyphens and underscores, starting with a letter or digit`,
    });
  }
  if (metadata.region === '') {
    issues.push({ path: 'metadata.region', message: 'metadata.region must be set' });
  } else if (!isRegionName(metadata.region)) {
    issues.push({
      path: 'metadata.region',
      message: `${quote(metadata.region)} is not a valid AWS region name; use a region code such as us-west-2 or eu-central-1`,
    });
  }
  return issues;
}

/**
 * The rules for one association of `iam.podIdentityAssociations` (or one given by flags, with
 * `path` ''), for the operation at hand.
 */
export function associationIssues(
  entry: PodIdentityAssociationConfig,
  path: string,
  operation: Operation,
): ConfigIssue[] {
  if (operation === 'get') return [];
  const findings = requiredFields(entry, path);
  if (createsRoles(operation)) {
    findings.push(
      ...roleSources(entry, path),
      ...sessionPolicyNeedsNoSessionTags(entry),
      ...permissionPolicyNameRules(entry, path),
    );
  }
  findings.push(
    ...shapes(entry, {
      tags: true,
      addedTags: createsRoles(operation) ? addedAssociationTags(entry) : [],
    }),
  );
  // A create builds the entry's role with these tags; an update and an apply tag it with them.
  if (operation !== 'delete' && carriesPermissions(entry) && entry.tags !== undefined) {
    for (const message of iamTagCharacterProblems(entry.tags))
      findings.push({ field: 'tags', message });
  }
  return findings.map((finding) => toIssue(path, finding));
}

/** eksctl's `json.Valid`, else a YAML mapping: what eksctl accepts as configurationValues. */
function isJsonOrYamlMapping(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    // not JSON: eksctl then tries YAML
  }
  const decoded = decodeYaml(text);
  return 'value' in decoded && (decoded.value === null || isMapping(decoded.value));
}

/** How many of the addon's IRSA settings are given. */
function irsaSettingCount(addon: AddonConfig): number {
  return [
    hasWellKnownPolicy(addon.wellKnownPolicies),
    (addon.serviceAccountRoleARN ?? '') !== '',
    (addon.attachPolicyARNs?.length ?? 0) > 0,
    // eksctl tests attachPolicy against nil, so even an empty document counts.
    addon.attachPolicy !== undefined,
  ].filter(Boolean).length;
}

/** eksctl's `Addon.Validate` and `validateAddonPodIdentityAssociations`, plus shapes. */
function addonIssues(addon: AddonConfig, index: number): ConfigIssue[] {
  const base = `addons[${index}]`;
  const invalid = (message: string): string =>
    `invalid configuration for ${quote(addon.name)} addon: ${message}`;
  const suffix = ` (addon: ${addon.name})`;
  const issues: ConfigIssue[] = [];
  if (addon.name === '') {
    issues.push({ path: `${base}.name`, message: invalid('name is required') });
  }
  if (addon.configurationValues !== undefined && !isJsonOrYamlMapping(addon.configurationValues)) {
    issues.push({
      path: `${base}.configurationValues`,
      message: invalid(
        `configurationValues: ${quote(addon.configurationValues)} is not valid, supported format(s) are: JSON and YAML`,
      ),
    });
  }

  const associations = addon.podIdentityAssociations ?? [];
  const irsaSettings = irsaSettingCount(addon);
  if (irsaSettings > 0 && associations.length > 0) {
    issues.push({
      path: base,
      message: invalid(
        'cannot set IRSA config (`addon.ServiceAccountRoleARN`, `addon.AttachPolicyARNs`, `addon.AttachPolicy`, `addon.WellKnownPolicies`) and pod identity associations at the same time',
      ),
    });
  } else if (irsaSettings > 1) {
    issues.push({
      path: base,
      message: invalid(
        'at most one of wellKnownPolicies, serviceAccountRoleARN, attachPolicyARNs and attachPolicy can be specified',
      ),
    });
  }
  if (associations.length > 0 && addon.name.toLowerCase() === POD_IDENTITY_AGENT_ADDON) {
    issues.push({
      path: `${base}.podIdentityAssociations`,
      message: invalid(
        `cannot set pod identity associations for "${POD_IDENTITY_AGENT_ADDON}" addon`,
      ),
    });
  }

  associations.forEach((entry, entryIndex) => {
    const p = `podIdentityAssociations[${entryIndex}]`;
    const entryPath = `${base}.${p}`;
    for (const finding of [...requiredFields(entry, p), ...roleSources(entry, p)]) {
      issues.push(toIssue(entryPath, { ...finding, message: invalid(finding.message) }));
    }
    if (hasWellKnownPolicy(entry.wellKnownPolicies)) {
      issues.push({
        path: `${entryPath}.wellKnownPolicies`,
        message: `wellKnownPolicies is not supported for addon.podIdentityAssociations; use addon.useDefaultPodIdentityAssociations instead${suffix}`,
      });
    }
    if (entry.tags !== undefined && Object.keys(entry.tags).length > 0) {
      issues.push({
        path: `${entryPath}.tags`,
        message: `tags is not supported for addon.podIdentityAssociations${suffix}`,
      });
    }
    const ownChecks = [
      ...permissionPolicyNameRules(entry, entryPath),
      ...shapes(entry, { tags: false }),
    ];
    issues.push(...ownChecks.map((finding) => toIssue(entryPath, finding)));
  });

  if (addon.useDefaultPodIdentityAssociations === true) {
    const path = `${base}.useDefaultPodIdentityAssociations`;
    if (associations.length > 0) {
      issues.push({
        path,
        message: `cannot specify both addon.useDefaultPodIdentityAssociations and addon.podIdentityAssociations${suffix}`,
      });
    }
    if (irsaSettings > 0) {
      issues.push({
        path,
        message: `cannot specify serviceAccountRoleARN, wellKnownPolicies, attachPolicy or attachPolicyARNs when addon.useDefaultPodIdentityAssociations is set${suffix}`,
      });
    }
  }

  const add = (path: string, message: string | undefined): void => {
    if (message !== undefined) issues.push({ path, message });
  };
  if (addon.serviceAccountRoleARN) {
    add(`${base}.serviceAccountRoleARN`, roleArnProblem(addon.serviceAccountRoleARN));
  }
  addon.attachPolicyARNs?.forEach((arn, arnIndex) => {
    add(`${base}.attachPolicyARNs[${arnIndex}]`, policyArnProblem(arn));
  });
  if (addon.permissionsBoundary) {
    add(`${base}.permissionsBoundary`, policyArnProblem(addon.permissionsBoundary));
  }
  return issues;
}

/**
 * Whether the run builds or tags a role of its own from an entry, which then carries
 * `metadata.tags`: an entry with permissions among the parts the scope acts on. The roles of an
 * add-on's recommended associations are built, and their tags checked, once EKS names them.
 */
function tagsRolesItBuilds(parts: ConfigParts, scope: Scope): boolean {
  const associations = scope === 'addons' ? [] : (parts.associations ?? []);
  const addons = scope === 'associations' ? [] : (parts.addons ?? []);
  return [...associations, ...addons.flatMap((addon) => addon?.podIdentityAssociations ?? [])].some(
    (entry) => entry !== null && carriesPermissions(entry),
  );
}

/** One service account, one association: EKS refuses a second one, so a file must not ask for it. */
function duplicateIssues(
  entries: readonly { path: string; entry: PodIdentityAssociationConfig }[],
): ConfigIssue[] {
  const firstPathOf = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const { path, entry } of entries) {
    if (entry.namespace === '' || entry.serviceAccountName === '') continue;
    const key = associationKey(entry.namespace, entry.serviceAccountName);
    const firstPath = firstPathOf.get(key);
    if (firstPath === undefined) {
      firstPathOf.set(key, path);
    } else {
      issues.push({
        path,
        message: `service account ${quote(key)} is also given in ${firstPath}; a service account can have only one pod identity association, so keep one of the two entries`,
      });
    }
  }
  return issues;
}

/**
 * The parts of a config the rules read. `null` marks a part that failed its schema: its
 * schema problems are reported already, and rules skip it rather than pile up follow-on
 * messages (a list that is not a list is not also "empty"). `undefined` means left out.
 */
export interface ConfigParts {
  readonly metadata: ClusterMetadata | null;
  readonly associations: readonly (PodIdentityAssociationConfig | null)[] | null | undefined;
  readonly addons: readonly (AddonConfig | null)[] | null | undefined;
}

export function configIssues(
  parts: ConfigParts,
  operation: Operation,
  scope: Scope = 'associations',
): ConfigIssue[] {
  const issues = parts.metadata === null ? [] : metadataIssues(parts.metadata);
  if (operation === 'get') return issues;

  const everyAssociation: { path: string; entry: PodIdentityAssociationConfig }[] = [];
  const hasAddons = (parts.addons?.length ?? 0) > 0 || parts.addons === null;
  if (scope === 'addons' && !hasAddons && operation !== 'delete') {
    issues.push({ path: 'addons', message: 'no addons specified in the config file' });
  }
  if (parts.associations !== null) {
    const associationsRequired = scope === 'associations' || (scope === 'all' && !hasAddons);
    if (associationsRequired && (parts.associations?.length ?? 0) === 0) {
      issues.push({
        path: 'iam.podIdentityAssociations',
        message: 'no iam.podIdentityAssociations specified in the config file',
      });
    }
    parts.associations?.forEach((entry, index) => {
      if (entry === null) return;
      const path = `iam.podIdentityAssociations[${index}]`;
      issues.push(...associationIssues(entry, path, operation));
      everyAssociation.push({ path, entry });
    });
  }
  parts.addons?.forEach((addon, index) => {
    if (addon === null) return;
    issues.push(...addonIssues(addon, index));
    addon.podIdentityAssociations?.forEach((entry, entryIndex) => {
      everyAssociation.push({
        path: `addons[${index}].podIdentityAssociations[${entryIndex}]`,
        entry,
      });
    });
  });
  issues.push(...duplicateIssues(everyAssociation));
  if (
    operation !== 'delete' &&
    parts.metadata?.tags !== undefined &&
    tagsRolesItBuilds(parts, scope)
  ) {
    issues.push(...roleTagIssues(parts.metadata.tags));
  }
  return issues;
}
