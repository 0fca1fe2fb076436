/**
 * Guardrails: deployment settings that bound what a dropped config may grant. A config that
 * breaks any of them is rejected as a whole, before anything changes, with every violation
 * listed, so one run tells its author everything to fix.
 *
 * Settings come from the environment (`guardrailsFromEnv`), either as one JSON document in
 * `GUARDRAILS`:
 *
 * ```json
 * {"deniedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
 *  "deniedActions": ["defaults", "s3:DeleteBucket", "kms:* on *"],
 *  "enforcedPermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/boundary",
 *  "allowedRoleArnPatterns": ["arn:aws:iam::111122223333:role/apps/*"],
 *  "assignableRoleTag": "eks-pia/assignable=true",
 *  "allowedNamespaces": ["team-*", "default"]}
 * ```
 *
 * or as separate variables, each a JSON list or a comma-separated list (the boundary is one
 * ARN, the tag one `key=value`): `GUARDRAILS_DENIED_POLICY_ARNS`, `GUARDRAILS_DENIED_ACTIONS`,
 * `GUARDRAILS_PERMISSIONS_BOUNDARY_ARN`, `GUARDRAILS_ALLOWED_ROLE_ARN_PATTERNS`,
 * `GUARDRAILS_ASSIGNABLE_ROLE_TAG`, `GUARDRAILS_ALLOWED_NAMESPACES`. A separate variable
 * overrides the same field of `GUARDRAILS`. A denied list that is given replaces the default (so
 * `[]` denies nothing); the entry `"defaults"` brings the default denied actions back in.
 * Left out, the namespace allow-list allows every namespace.
 *
 * Existing roles: by default a config may associate only roles the service created (its IAM
 * path), roles matching `allowedRoleArnPatterns`, and roles carrying the opt-in tag
 * (`eks-pia/assignable=true` unless the deployment chooses another), so nobody turns a service
 * account into an admin by naming an admin role; and, besides those, the role the association
 * already has (see {@link CurrentRoleCondition}), which grants nothing new. A `roleARN` of
 * another account is refused whatever the settings: EKS does not pass it ("Cross-account pass
 * role is not allowed"). A `targetRoleARN` (the role EKS assumes with the association's role,
 * whose credentials the pod gets) answers to the rule for existing roles; a target in another
 * account, whose tags IAM does not let this account read, only to `allowedRoleArnPatterns`.
 *
 * Customer managed policies of the account a config attaches (`permissionPolicyARNs`) are judged
 * by their document, read from IAM when the request is checked, against the same denied actions
 * as inline policies: a policy's name says nothing about what it grants. One IAM does not have,
 * or another account's (IAM attaches neither), is refused, so that a dry run does not plan a role
 * whose AttachRolePolicy the real run would see fail.
 */
import pMap from 'p-map';
import { parseRoleArn, type RoleArnParts } from '../arn.ts';
import { isPolicyArn } from '../config/index.ts';
import { NamedError } from '../errors.ts';
import { globMatches } from '../glob.ts';
import { ROLE_PATH } from '../naming.ts';
import {
  type PolicyDocument,
  type PolicyStatement,
  statementsOf,
  toArray,
} from '../policy-document.ts';
import { PARTITIONS } from '../well-known-policies.ts';
import * as z from '../zod.ts';
import type { DesiredAssociation, ManagedRole } from './desired.ts';
import {
  actionPatternRegex,
  ESCALATION_ACTIONS,
  expandCatalogued,
  isCatalogued,
  NAMED_RESOURCE_ONLY,
} from './escalation.ts';
import {
  type CurrentRoleCondition,
  type GuardrailViolation,
  PolicyGuardViolation,
} from './guardrail-violations.ts';
import { type AssociationRequest, describeSource } from './request.ts';

/**
 * An action the guardrails deny: an action or a pattern (`iam:*`, `iam:Cre*`), matched against
 * what a statement's own patterns expand to in AWS's action catalogue, so `iam:Cre*` or
 * `iam:*Role*` grants `iam:CreateRole` however it is spelled. `resource: '*'` narrows the denial
 * to statements on wildcard resources (`*`, `arn:aws:iam::*:role/*`, `arn:*`, NotResource):
 * `sts:AssumeRole` on a named target role is how role chaining is granted, while on a wildcard
 * it lets the pod assume any role that trusts the account.
 */
export interface DeniedAction {
  action: string;
  resource?: '*' | undefined;
}

export interface GuardrailSettings {
  /** Managed policy ARNs that may not be attached (globs: `*` any run, `?` one character). */
  deniedPolicyArns: string[];
  /** Actions no Allow statement of a created role may grant. */
  deniedActions: DeniedAction[];
  /** Put on every role this service creates; a config asking for another boundary is rejected. */
  enforcedPermissionsBoundaryArn?: string | undefined;
  /**
   * Existing roles (globs) a config may associate or name as `targetRoleARN` besides the roles
   * the service created and those carrying {@link assignableRoleTag}; the only way to allow a
   * target role of another account.
   */
  allowedRoleArnPatterns?: string[] | undefined;
  /** The tag that opts an existing role in to being associated; `undefined` opts none in. */
  assignableRoleTag?: RoleTag | undefined;
  /** When set, every association's namespace must match one of these globs. */
  allowedNamespaces?: string[] | undefined;
}

export interface RoleTag {
  key: string;
  value: string;
}

/** The tag a role carries to be assignable under the default settings. */
export const DEFAULT_ASSIGNABLE_ROLE_TAG: RoleTag = { key: 'eks-pia/assignable', value: 'true' };

export {
  type CurrentRoleCondition,
  type CurrentRoleReader,
  checkCurrentRoleConditions,
  type GuardrailViolation,
  GuardrailViolationsError,
  PolicyGuardViolation,
  settleCurrentRoleConditions,
} from './guardrail-violations.ts';

/** Guardrail settings in the environment that cannot be read. */
export class GuardrailSettingsError extends NamedError {
  override readonly name = 'GuardrailSettingsError';
}

const DENIED_POLICY_NAMES = ['AdministratorAccess', 'IAMFullAccess', 'PowerUserAccess'];

/**
 * Every write to IAM, STS, Organizations and account settings that pods do not need (what the
 * default permissions boundary withholds, functions/core/associations/escalation.ts), and
 * passing or assuming roles on wildcard resources.
 */
export const DEFAULT_DENIED_ACTIONS: readonly DeniedAction[] = [
  ...ESCALATION_ACTIONS.map((action) => ({ action })),
  ...NAMED_RESOURCE_ONLY.map((action) => ({ action, resource: '*' as const })),
];

/**
 * AdministratorAccess, IAMFullAccess and PowerUserAccess in every partition; the escalation
 * actions; the opt-in tag `eks-pia/assignable=true`.
 */
export const DEFAULT_GUARDRAILS: GuardrailSettings = {
  deniedPolicyArns: PARTITIONS.flatMap((partition) =>
    DENIED_POLICY_NAMES.map((name) => `arn:${partition}:iam::aws:policy/${name}`),
  ),
  deniedActions: [...DEFAULT_DENIED_ACTIONS],
  assignableRoleTag: DEFAULT_ASSIGNABLE_ROLE_TAG,
};

/** The entry of a denied action list that stands for {@link DEFAULT_DENIED_ACTIONS}. */
export const DEFAULT_DENIED_ACTIONS_ENTRY = 'defaults';

// ---------------------------------------------------------------------------------------------
// Reading the settings

const DENIED_ACTION_TEXT = /^(\S+)(?:\s+on\s+(\*))?$/;

function deniedActionsFromText(text: string): DeniedAction[] {
  if (text.trim() === DEFAULT_DENIED_ACTIONS_ENTRY) return [...DEFAULT_DENIED_ACTIONS];
  const match = DENIED_ACTION_TEXT.exec(text.trim());
  const action = match?.[1];
  if (match === null || action === undefined) {
    throw new GuardrailSettingsError(
      `denied action ${JSON.stringify(text)} is not "<action>", "<action> on *" or "${DEFAULT_DENIED_ACTIONS_ENTRY}" (e.g. "iam:*", "sts:AssumeRole on *")`,
    );
  }
  return [match[2] === undefined ? { action } : { action, resource: '*' }];
}

const ROLE_TAG_TEXT = /^([^=]+)=(.*)$/;

/** `key=value`, as the settings spell the opt-in tag. */
export function roleTagFromText(text: string): RoleTag {
  const match = ROLE_TAG_TEXT.exec(text.trim());
  const key = match?.[1]?.trim();
  if (match === null || key === undefined || key === '') {
    throw new GuardrailSettingsError(
      `assignable role tag ${JSON.stringify(text)} is not "<key>=<value>" (e.g. "eks-pia/assignable=true")`,
    );
  }
  return { key, value: match[2]?.trim() ?? '' };
}

const deniedActionSchema = z.union([
  z.string().check(z.minLength(1)),
  z.strictObject({
    action: z.string().check(z.minLength(1)),
    resource: z.optional(z.literal('*')),
  }),
]);

const settingsSchema = z.strictObject({
  deniedPolicyArns: z.optional(z.array(z.string().check(z.minLength(1)))),
  deniedActions: z.optional(z.array(deniedActionSchema)),
  enforcedPermissionsBoundaryArn: z.optional(z.string().check(z.minLength(1))),
  allowedRoleArnPatterns: z.optional(z.array(z.string().check(z.minLength(1)))),
  assignableRoleTag: z.optional(z.string().check(z.minLength(1))),
  allowedNamespaces: z.optional(z.array(z.string().check(z.minLength(1)))),
});
type SettingsInput = z.infer<typeof settingsSchema>;

function readJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new GuardrailSettingsError(`${name} is not valid JSON: ${reason}`);
  }
}

function readList(name: string, text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const parsed = z.array(z.string().check(z.minLength(1))).safeParse(readJson(name, trimmed));
    if (!parsed.success) throw new GuardrailSettingsError(`${name} must be a JSON list of strings`);
    return parsed.data;
  }
  return trimmed
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readDocument(text: string): SettingsInput {
  const parsed = settingsSchema.safeParse(readJson('GUARDRAILS', text));
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
    );
    throw new GuardrailSettingsError(`GUARDRAILS is not valid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function present(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * The guardrails of this deployment, read once at cold start. Anything unreadable throws
 * GuardrailSettingsError, so a typo in the settings stops every run instead of silently
 * allowing what it meant to deny.
 */
export function guardrailsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): GuardrailSettings {
  const documentText = present(env, 'GUARDRAILS');
  const document = documentText === undefined ? {} : readDocument(documentText);
  const list = (name: string): string[] | undefined => {
    const text = present(env, name);
    return text === undefined ? undefined : readList(name, text);
  };

  const deniedActionInputs = list('GUARDRAILS_DENIED_ACTIONS') ?? document.deniedActions;
  const boundary =
    present(env, 'GUARDRAILS_PERMISSIONS_BOUNDARY_ARN')?.trim() ??
    document.enforcedPermissionsBoundaryArn;
  if (boundary !== undefined && !isPolicyArn(boundary)) {
    throw new GuardrailSettingsError(
      `the enforced permissions boundary ${JSON.stringify(boundary)} is not an IAM policy ARN (arn:<partition>:iam::<account>:policy/<name>)`,
    );
  }
  const tag = present(env, 'GUARDRAILS_ASSIGNABLE_ROLE_TAG') ?? document.assignableRoleTag;
  return {
    deniedPolicyArns:
      list('GUARDRAILS_DENIED_POLICY_ARNS') ??
      document.deniedPolicyArns ??
      DEFAULT_GUARDRAILS.deniedPolicyArns,
    deniedActions:
      deniedActionInputs === undefined
        ? DEFAULT_GUARDRAILS.deniedActions
        : deniedActionInputs.flatMap((item) =>
            typeof item === 'string' ? deniedActionsFromText(item) : [item],
          ),
    enforcedPermissionsBoundaryArn: boundary,
    allowedRoleArnPatterns:
      list('GUARDRAILS_ALLOWED_ROLE_ARN_PATTERNS') ?? document.allowedRoleArnPatterns,
    assignableRoleTag: tag === undefined ? DEFAULT_ASSIGNABLE_ROLE_TAG : roleTagFromText(tag),
    allowedNamespaces: list('GUARDRAILS_ALLOWED_NAMESPACES') ?? document.allowedNamespaces,
  };
}

// ---------------------------------------------------------------------------------------------
// Checking a request

/** Up to a few names, then how many more: a `*` grant may hit every denied action. */
function listLabels(labels: readonly string[]): string {
  const shown = labels.slice(0, 4);
  const more = labels.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  return shown.length <= 1
    ? shown.join('')
    : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

/**
 * A statement that names no resource, excludes some with NotResource, or names any resource by
 * a pattern (`*`, `arn:aws:iam::*:role/*`, `arn:*`) reaches resources nobody named.
 */
function reachesWildcardResource(statement: PolicyStatement): boolean {
  return (
    statement.NotResource !== undefined ||
    statement.Resource === undefined ||
    toArray(statement.Resource).some((resource) => /[*?]/.test(resource))
  );
}

/** Whether two action globs (`*`, `?`, case-insensitive) match at least one common action. */
export function actionPatternsOverlap(left: string, right: string): boolean {
  const a = left.toLowerCase();
  const b = right.toLowerCase();
  const memo = new Map<string, boolean>();
  const overlap = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (a[i] === '*') result = overlap(i + 1, j) || (j < b.length && overlap(i, j + 1));
    else if (b[j] === '*') result = overlap(i, j + 1) || (i < a.length && overlap(i + 1, j));
    else if (i === a.length || j === b.length) result = false;
    else result = (a[i] === '?' || b[j] === '?' || a[i] === b[j]) && overlap(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return overlap(0, 0);
}

/** The statement's pattern through which it grants a denied action, or undefined. */
function grantingPattern(statement: PolicyStatement, denied: DeniedConcrete): string | undefined {
  if (statement.NotAction !== undefined) {
    const excluded = toArray(statement.NotAction).some((pattern) =>
      actionPatternRegex(pattern).test(denied.action),
    );
    return excluded ? undefined : 'NotAction';
  }
  return toArray(statement.Action).find((pattern) =>
    denied.pattern
      ? actionPatternsOverlap(pattern, denied.action)
      : actionPatternRegex(pattern).test(denied.action),
  );
}

/** One denied action as matched: a catalogued action by name, or another service's pattern. */
interface DeniedConcrete {
  action: string;
  /** Matched by overlap with the statement's patterns (a service outside the catalogue). */
  pattern: boolean;
  onWildcard: boolean;
}

/**
 * The concrete actions a denied list stands for: each entry's catalogue expansion for IAM, STS,
 * Organizations and Account (an unknown name stays itself, so a typo still denies what it
 * says); the pattern itself for other services. Computed once per settings.
 */
function deniedConcrete(denied: readonly DeniedAction[]): readonly DeniedConcrete[] {
  const known = concreteByList.get(denied);
  if (known !== undefined) return known;
  const byAction = new Map<string, DeniedConcrete>();
  for (const entry of denied) {
    const expanded = isCatalogued(entry.action) ? expandCatalogued(entry.action) : [];
    const onWildcard = entry.resource === '*';
    for (const action of expanded.length === 0 ? [entry.action] : expanded) {
      // Denied on any resource wins over denied on wildcard resources only.
      if (byAction.has(action) && onWildcard) continue;
      const pattern = expanded.length === 0 && /[*?]/.test(action);
      byAction.set(action, { action, pattern, onWildcard });
    }
  }
  const concrete = [...byAction.values()];
  concreteByList.set(denied, concrete);
  return concrete;
}

const concreteByList = new WeakMap<readonly DeniedAction[], readonly DeniedConcrete[]>();

function serviceOf(action: string): string {
  return action.split(':')[0]?.toLowerCase() ?? '';
}

/**
 * The denied actions a statement could grant, found by service first: most statements name a
 * few actions of services nothing is denied in, and configs hold thousands of entries.
 */
function candidates(
  statement: PolicyStatement,
  concrete: readonly DeniedConcrete[],
): readonly DeniedConcrete[] {
  if (statement.NotAction !== undefined) return concrete;
  const services = toArray(statement.Action).map(serviceOf);
  if (services.some((service) => /[*?]/.test(service))) return concrete;
  return concrete.filter((entry) => entry.pattern || services.includes(serviceOf(entry.action)));
}

/**
 * What a statement grants that the guardrails deny: every denied action one of its patterns
 * expands to (`iam:Cre*` grants iam:CreateRole), every denied action an Allow with NotAction
 * does not exclude, and actions denied on wildcard resources when it reaches one. Narrow grants
 * the guardrails leave alone (`iam:CreateServiceLinkedRole`, `sts:AssumeRole` on a named role)
 * pass.
 */
function statementViolation(
  statement: PolicyStatement,
  denied: readonly DeniedAction[],
): string | undefined {
  if (statement.Effect !== 'Allow') return undefined;
  const wildcardResource = reachesWildcardResource(statement);
  const hits = new Map<string, { pattern: string; onWildcard: boolean }>();
  for (const entry of candidates(statement, deniedConcrete(denied))) {
    if (entry.onWildcard && !wildcardResource) continue;
    const pattern = grantingPattern(statement, entry);
    if (pattern !== undefined) hits.set(entry.action, { pattern, onWildcard: entry.onWildcard });
  }
  if (hits.size === 0) return undefined;
  const patterns = [...new Set([...hits.values()].map((hit) => hit.pattern))];
  const onWildcard = [...hits].filter(([, hit]) => hit.onWildcard).map(([action]) => action);
  const anywhere = [...hits].filter(([, hit]) => !hit.onWildcard).map(([action]) => action);
  const granted = [
    ...(anywhere.length > 0 ? [listLabels(anywhere)] : []),
    ...(onWildcard.length > 0
      ? [`${listLabels(onWildcard)} on a wildcard resource (${describeResources(statement)})`]
      : []),
  ].join(', and ');
  const resourceHint =
    onWildcard.length > 0 ? '; name the exact roles in Resource instead of a pattern' : '';
  if (statement.NotAction !== undefined) {
    return `allows every action not listed in NotAction, so grants ${granted}, which the guardrails deny; list the allowed actions under Action instead${resourceHint}`;
  }
  const through = patterns.map((pattern) => JSON.stringify(pattern)).join(', ');
  return `allows ${granted} (through Action ${through}), which the guardrails deny as they could make the role an admin; list only the actions the workload needs${resourceHint}`;
}

function describeResources(statement: PolicyStatement): string {
  if (statement.NotResource !== undefined) return 'NotResource';
  if (statement.Resource === undefined) return 'no Resource';
  return toArray(statement.Resource)
    .filter((resource) => /[*?]/.test(resource))
    .map((resource) => `Resource ${JSON.stringify(resource)}`)
    .join(', ');
}

/**
 * The denied grants of one document. `label` names a policy the input only refers to (a
 * well-known inline policy, a managed policy): the path then points at the reference and the
 * message names the policy and statement; the entry's own permissionPolicy is pointed into.
 */
function documentViolations(
  document: PolicyDocument,
  label: string,
  origin: string,
  denied: readonly DeniedAction[],
): { path: string; message: string }[] {
  const single = !Array.isArray(document.Statement);
  const fromPermissionPolicy = origin.endsWith('.permissionPolicy');
  return statementsOf(document).flatMap((statement, index) => {
    const message = statementViolation(statement, denied);
    if (message === undefined) return [];
    const statementPath = single ? 'Statement' : `Statement[${index}]`;
    return fromPermissionPolicy
      ? [{ path: `${origin}.${statementPath}`, message }]
      : [{ path: origin, message: `${label}, ${statementPath}: ${message}` }];
  });
}

/**
 * Documents of the customer managed policies a request attaches, by ARN, as IAM has them now;
 * `undefined` for a policy IAM does not know (refused: attaching it would fail).
 */
export type PolicyDocuments = ReadonlyMap<string, PolicyDocument | undefined>;

/** A managed policy's default document (GetPolicy, GetPolicyVersion); `undefined` when absent. */
export type PolicyDocumentReader = (policyArn: string) => Promise<PolicyDocument | undefined>;

/** What the guardrails read from IAM about a request before judging it. */
export interface GuardrailLookups {
  /** Tags of the existing roles of {@link rolesToLookUp}. */
  roleTags: RoleTags;
  /** Documents of the customer managed policies of {@link policiesToLookUp}. */
  policyDocuments: PolicyDocuments;
}

export interface GuardrailReaders {
  roleTags: RoleTagReader;
  policyDocument: PolicyDocumentReader;
}

/** The account field of a managed policy ARN: `aws` for AWS managed policies. */
function policyAccount(arn: string): string | undefined {
  return arn.split(':')[4];
}

/**
 * Whether a managed policy ARN is a customer managed policy of `account`. AWS managed policies
 * are judged by `deniedPolicyArns` (their documents are AWS's, and the well-known policies name
 * them) and are not read.
 */
function isOwnCustomerPolicy(arn: string, account: string): boolean {
  return policyAccount(arn) === account;
}

/**
 * A customer managed policy is judged by its document, read now: its name says nothing about
 * what it grants, and an admin policy under an innocent name is the escalation this catches.
 * One that cannot be attached is refused here, before anything changes: otherwise the dry run
 * plans a clean create while the real run creates the role, fails AttachRolePolicy ("does not
 * exist or is not attachable") and deletes the role again. That is a policy IAM does not have,
 * and another account's (IAM attaches only the account's own customer managed policies and AWS
 * managed ones).
 */
function customerPolicyViolations(
  arn: string,
  origin: string,
  account: string | undefined,
  settings: GuardrailSettings,
  policyDocuments: PolicyDocuments | undefined,
): { path: string; message: string }[] {
  const owner = policyAccount(arn);
  if (account === undefined || owner === 'aws') return [];
  if (owner !== account) {
    return [
      {
        path: origin,
        message: `customer managed policy ${arn} belongs to account ${owner}, not ${account} where the role is created, and IAM attaches only a role's own account's customer managed policies (and AWS managed ones); create the policy in account ${account} and name that one, or fix the ARN`,
      },
    ];
  }
  if (policyDocuments?.has(arn) !== true) {
    return [
      {
        path: origin,
        message: `customer managed policy ${arn} was not read, so the guardrails cannot tell what it grants; nothing was attached`,
      },
    ];
  }
  const document = policyDocuments.get(arn);
  if (document === undefined) {
    return [
      {
        path: origin,
        message: `customer managed policy ${arn} does not exist in account ${account} (IAM GetPolicy found no such policy), so it cannot be attached; create it first, or fix the ARN`,
      },
    ];
  }
  return documentViolations(
    document,
    `customer managed policy ${arn}`,
    origin,
    settings.deniedActions,
  );
}

function managedRoleViolations(
  role: ManagedRole,
  path: string,
  settings: GuardrailSettings,
  account: string | undefined,
  policyDocuments: PolicyDocuments | undefined,
): { path: string; message: string }[] {
  const found: { path: string; message: string }[] = [];
  for (const arn of role.managedPolicyArns) {
    const origin = role.origins[arn] ?? `${path}.permissionPolicyARNs`;
    const pattern = settings.deniedPolicyArns.find((candidate) => globMatches(candidate, arn));
    if (pattern === undefined) {
      found.push(...customerPolicyViolations(arn, origin, account, settings, policyDocuments));
      continue;
    }
    const via = origin.includes('.wellKnownPolicies.') ? `${origin.split('.').at(-1)} adds ` : '';
    found.push({
      path: origin,
      message: `${via}${arn}, which the guardrails deny (${pattern === arn ? 'deniedPolicyArns' : `deniedPolicyArns pattern ${pattern}`}); attach a narrower policy`,
    });
  }
  for (const policy of role.inlinePolicies) {
    const origin = role.origins[policy.name] ?? `${path}.permissionPolicy`;
    found.push(
      ...documentViolations(
        policy.document,
        `inline policy ${policy.name}`,
        origin,
        settings.deniedActions,
      ),
    );
  }
  const enforced = settings.enforcedPermissionsBoundaryArn;
  if (enforced !== undefined) {
    const requested = role.requestedPermissionsBoundaryArn;
    if (requested !== undefined && requested !== enforced) {
      found.push({
        path: `${path}.permissionsBoundaryARN`,
        message: `${requested} conflicts with the permissions boundary the guardrails enforce (${enforced}); remove permissionsBoundaryARN or set it to ${enforced}`,
      });
    }
    if (role.permissionsBoundaryArn !== enforced) {
      found.push({
        path,
        message: `role ${role.roleName} would be created without the enforced permissions boundary ${enforced}; build the request with the guardrails' enforcedPermissionsBoundaryArn`,
      });
    }
  }
  return found;
}

/**
 * Tags of the existing roles a request names, by ARN, as IAM has them now; `undefined` for a role
 * IAM does not know (the association then fails on its own, "role does not exist").
 */
export type RoleTags = ReadonlyMap<string, Readonly<Record<string, string>> | undefined>;

function isServiceRole(arn: RoleArnParts): boolean {
  return arn.path.startsWith(ROLE_PATH);
}

function matchesAny(patterns: readonly string[] | undefined, arn: string): boolean {
  return patterns?.some((pattern) => globMatches(pattern, arn)) ?? false;
}

/**
 * Whether an existing role of the request's account may be associated without knowing its tags:
 * the service created it (its IAM path) or the deployment allows it by pattern.
 */
function allowedWithoutTags(arn: string, account: string, settings: GuardrailSettings): boolean {
  const parts = parseRoleArn(arn);
  if (parts === undefined || parts.account !== account) return true;
  return isServiceRole(parts) || matchesAny(settings.allowedRoleArnPatterns, arn);
}

/**
 * The existing roles of the request's own account whose tags decide whether they may be
 * associated or assumed as a target role; look them up (GetRole) and pass them to
 * {@link findGuardrailViolations}.
 */
export function rolesToLookUp(
  request: CheckedRequest & { account: string },
  settings: GuardrailSettings,
): string[] {
  const associated = pickFromGrantedRoles(request, (role) =>
    role.kind === 'existing' ? [role.roleArn] : [],
  );
  return [...new Set([...associated, ...targetRoleArns(request)])].filter(
    (arn) => !allowedWithoutTags(arn, request.account, settings),
  );
}

/** The entries of a request that grants (neither `get` nor `delete`), add-ons' explicit ones included. */
function grantingEntries(request: CheckedRequest): DesiredAssociation[] {
  if (request.operation === 'get' || request.operation === 'delete') return [];
  return [...request.entries, ...addonEntries(request)];
}

/**
 * The distinct values (ARNs, role names) `pick` finds in the roles of a request that grants
 * (neither `get` nor `delete`), its add-ons' explicit associations included. Target roles
 * (`targetRoleARN`) are not among them: EKS assumes them, eks-pia never creates them.
 */
export function pickFromGrantedRoles(
  request: CheckedRequest,
  pick: (role: DesiredAssociation['role']) => readonly string[],
): string[] {
  return [...new Set(grantingEntries(request).flatMap((entry) => pick(entry.role)))];
}

/** The distinct target roles (`targetRoleARN`) of a request that grants; an empty one removes. */
function targetRoleArns(request: CheckedRequest): string[] {
  return [
    ...new Set(
      grantingEntries(request).flatMap((entry) =>
        entry.targetRoleArn ? [entry.targetRoleArn] : [],
      ),
    ),
  ];
}

/**
 * The explicit associations of the request's add-ons: they grant what standalone ones do, so
 * they answer to the same rules.
 */
function addonEntries(request: CheckedRequest) {
  return (request.addons?.addons ?? []).flatMap((addon) =>
    addon.associations.kind === 'list' ? addon.associations.entries : [],
  );
}

/**
 * The customer managed policies of the request's own account that the roles it creates or
 * reconciles would get (`permissionPolicyARNs`, not denied by ARN already); read their documents
 * and pass them to {@link findGuardrailViolations}.
 */
export function policiesToLookUp(
  request: CheckedRequest & { account: string },
  settings: GuardrailSettings,
): string[] {
  return pickFromGrantedRoles(request, (role) =>
    role.kind === 'managed' ? role.role.managedPolicyArns : [],
  ).filter(
    (arn) =>
      isOwnCustomerPolicy(arn, request.account) &&
      !settings.deniedPolicyArns.some((pattern) => globMatches(pattern, arn)),
  );
}

/** Tags read by role name (GetRole); `undefined` when the role does not exist. */
export type RoleTagReader = (roleName: string) => Promise<Record<string, string> | undefined>;

/** IAM's rate limits are account-wide: a few reads at a time. */
const LOOKUP_CONCURRENCY = 5;

/**
 * Reads what the guardrails judge a request by: the tags of {@link rolesToLookUp} and the
 * documents of {@link policiesToLookUp}, as IAM has them now.
 */
export async function lookUpForGuardrails(
  request: CheckedRequest & { account: string },
  settings: GuardrailSettings,
  readers: GuardrailReaders,
): Promise<GuardrailLookups> {
  const [roleTags, policyDocuments] = await Promise.all([
    pMap(
      rolesToLookUp(request, settings),
      async (arn) => [arn, await readers.roleTags(parseRoleArn(arn)?.name ?? arn)] as const,
      { concurrency: LOOKUP_CONCURRENCY },
    ),
    pMap(
      policiesToLookUp(request, settings),
      async (arn) => [arn, await readers.policyDocument(arn)] as const,
      { concurrency: LOOKUP_CONCURRENCY },
    ),
  ]);
  return { roleTags: new Map(roleTags), policyDocuments: new Map(policyDocuments) };
}

/** Whether an existing role of the request's account carries the opt-in tag, as IAM has it now. */
function carriesAssignableTag(
  arn: string,
  settings: GuardrailSettings,
  roleTags: RoleTags | undefined,
): boolean {
  const tags = roleTags?.get(arn);
  const tag = settings.assignableRoleTag;
  return tags !== undefined && tag !== undefined && tags[tag.key] === tag.value;
}

/** The roles of its own account a deployment lets configs use, and how to get one allowed. */
function allowedOwnRoles(settings: GuardrailSettings): { allowed: string; fix: string } {
  const tag = settings.assignableRoleTag;
  const allowed = [
    `roles eks-pia created (path ${ROLE_PATH})`,
    ...(settings.allowedRoleArnPatterns === undefined
      ? []
      : [`roles matching ${settings.allowedRoleArnPatterns.join(', ')}`]),
    ...(tag === undefined ? [] : [`roles tagged ${tag.key}=${tag.value}`]),
  ];
  const fix =
    tag === undefined
      ? 'ask the deployment to add the role to allowedRoleArnPatterns'
      : `have the role's owner tag it ${tag.key}=${tag.value} (or the deployment allow it by allowedRoleArnPatterns)`;
  return { allowed: listLabels(allowed), fix };
}

type EntryViolation = Omit<GuardrailViolation, 'association'>;

/**
 * The rule for `roleARN`. `entry` is set for a standalone association, whose role may also be the
 * one it has now ({@link CurrentRoleCondition}); an add-on's association answers to the rule
 * alone.
 */
function existingRoleViolation(
  arn: string,
  path: string,
  account: string | undefined,
  settings: GuardrailSettings,
  roleTags: RoleTags | undefined,
  entry: DesiredAssociation | undefined,
): EntryViolation[] {
  const parts = parseRoleArn(arn);
  if (account === undefined || parts === undefined) {
    return roleArnViolation(arn, path, settings.allowedRoleArnPatterns);
  }
  if (parts.account !== account) {
    // EKS refuses to pass another account's role ("Cross-account pass role is not allowed"),
    // whatever the deployment's patterns say, and only when the run is already changing things
    // (after creating the service account, say): refuse it here, where nothing has changed yet.
    return [
      {
        path,
        message: `role ${arn} is in account ${parts.account}, but the association's role must be in account ${account}, the cluster's: EKS does not pass another account's role to pods ("Cross-account pass role is not allowed"), whatever allowedRoleArnPatterns says; name a role of account ${account} as roleARN, and to give pods the role of account ${parts.account}, name it as targetRoleARN (EKS assumes it with the roleARN of account ${account}, which its trust policy must trust)`,
      },
    ];
  }
  if (allowedWithoutTags(arn, account, settings)) return [];
  // A role IAM does not have: the association then fails on its own ("role does not exist").
  if (roleTags?.has(arn) === true && roleTags.get(arn) === undefined) return [];
  if (carriesAssignableTag(arn, settings, roleTags)) return [];
  const { allowed, fix } = allowedOwnRoles(settings);
  const current = entry === undefined ? '' : ', besides the role the association already has,';
  return [
    {
      path,
      message: `role ${arn} may not be associated: this deployment lets configs associate${current} only ${allowed}, so that no config hands an existing (possibly admin) role to pods; ${fix}, or drop roleARN and let eks-pia create the role from permissionPolicyARNs, permissionPolicy or wellKnownPolicies`,
      ...(entry === undefined
        ? {}
        : {
            unlessCurrentRole: {
              namespace: entry.namespace,
              serviceAccount: entry.serviceAccount,
              roleArn: arn,
            },
          }),
    },
  ];
}

/**
 * A target role is what the pod ends up with (EKS assumes it with the association's role), so it
 * answers to the rule for existing roles. Unlike roleARN, it may be another account's, which EKS
 * does not refuse; IAM does not let this account read that role's tags, so only the deployment's
 * patterns can allow it. A target of the account that IAM does not have is refused too: nothing
 * would then vouch for a role created later under its name.
 */
function targetRoleViolation(
  arn: string | undefined,
  path: string,
  account: string | undefined,
  settings: GuardrailSettings,
  roleTags: RoleTags | undefined,
): { path: string; message: string }[] {
  if (arn === undefined || arn === '') return [];
  const patterns = settings.allowedRoleArnPatterns;
  const parts = parseRoleArn(arn);
  if (account === undefined || parts === undefined || parts.account !== account) {
    if (matchesAny(patterns, arn)) return [];
    const where =
      parts === undefined || account === undefined
        ? 'is not known to be of the account eks-pia runs in'
        : `is in account ${parts.account}, not ${account} where eks-pia runs`;
    const patternsNow =
      patterns === undefined ? 'none are set' : `${patterns.join(', ')}, none of which matches`;
    return [
      {
        path,
        message: `target role ${arn} ${where}: eks-pia cannot read another account's roles (GetRole), so no tag can opt them in, and this deployment lets configs name such a target only when it matches allowedRoleArnPatterns (${patternsNow}); ask the deployment to add a pattern matching the role (e.g. ${arn}) to allowedRoleArnPatterns, or drop targetRoleARN`,
      },
    ];
  }
  if (isServiceRole(parts) && !matchesAny(patterns, arn)) {
    return [
      {
        path,
        message: `target role ${arn} was created by eks-pia (path ${ROLE_PATH}): its trust names only EKS Pod Identity (pods.eks.amazonaws.com), not the association's role, so EKS could not assume it as a target (and the boundary of eks-pia's roles lets none assume another); name a role whose trust names the association's role, or drop targetRoleARN`,
      },
    ];
  }
  if (allowedWithoutTags(arn, account, settings)) return [];
  if (carriesAssignableTag(arn, settings, roleTags)) return [];
  const { allowed, fix } = allowedOwnRoles(settings);
  const tag = settings.assignableRoleTag;
  const missing = roleTags?.has(arn) === true && roleTags.get(arn) === undefined;
  const why = missing
    ? ' (IAM has no such role, and nothing would vouch for one created later under its name)'
    : '';
  const remedy = missing
    ? `create the role${tag === undefined ? '' : ` tagged ${tag.key}=${tag.value}`} first (or the deployment allow it by allowedRoleArnPatterns)`
    : fix;
  return [
    {
      path,
      message: `target role ${arn} may not be assumed for pods${why}: this deployment lets configs name as targetRoleARN only ${allowed}, so that no config hands an existing (possibly admin) role to pods through role chaining; ${remedy}, or drop targetRoleARN`,
    },
  ];
}

function roleArnViolation(
  arn: string | undefined,
  path: string,
  patterns: readonly string[] | undefined,
): { path: string; message: string }[] {
  if (arn === undefined || arn === '' || patterns === undefined) return [];
  if (patterns.some((pattern) => globMatches(pattern, arn))) return [];
  return [
    {
      path,
      message: `role ${arn} is not allowed by the guardrails; allowed role ARN patterns: ${patterns.join(', ')}`,
    },
  ];
}

function entryViolations(
  entry: DesiredAssociation,
  request: CheckedRequest,
  settings: GuardrailSettings,
  lookups: Partial<GuardrailLookups>,
  standalone: boolean,
): GuardrailViolation[] {
  const operation = request.operation;
  const found: EntryViolation[] = [];
  const namespaces = settings.allowedNamespaces;
  if (
    namespaces !== undefined &&
    !namespaces.some((pattern) => globMatches(pattern, entry.namespace))
  ) {
    found.push({
      path: `${entry.path}.namespace`,
      message: `namespace ${JSON.stringify(entry.namespace)} is not allowed by the guardrails; allowed namespaces: ${namespaces.join(', ')}`,
    });
  }
  if (operation !== 'delete') {
    const patterns = settings.allowedRoleArnPatterns;
    const role = entry.role;
    if (role.kind === 'existing') {
      found.push(
        ...existingRoleViolation(
          role.roleArn,
          `${entry.path}.roleARN`,
          request.account,
          settings,
          lookups.roleTags,
          standalone ? entry : undefined,
        ),
      );
    } else if (role.kind === 'managed') {
      found.push(...roleArnViolation(role.requestedRoleArn, `${entry.path}.roleARN`, patterns));
      found.push(
        ...managedRoleViolations(
          role.role,
          entry.path,
          settings,
          request.account,
          lookups.policyDocuments,
        ),
      );
    }
    found.push(
      ...targetRoleViolation(
        entry.targetRoleArn,
        `${entry.path}.targetRoleARN`,
        request.account,
        settings,
        lookups.roleTags,
      ),
    );
  }
  const association = `${entry.namespace}/${entry.serviceAccount}`;
  return found.map((violation) => ({ ...violation, association }));
}

export type CheckedRequest = Pick<AssociationRequest, 'operation' | 'entries'> &
  Partial<Pick<AssociationRequest, 'source' | 'addons' | 'account'>>;

/**
 * Every guardrail violation of a request, standalone entries first, then add-ons' (each in
 * entry order): denied managed policies (given or added by well-known policies), denied actions in
 * inline policies (the entry's `permissionPolicy` and the well-known ones, as they will be
 * created) and in the documents of the customer managed policies it attaches, customer managed
 * policies IAM would not attach (missing, another account's), a boundary other than the enforced
 * one, existing roles (associated or named as target roles) the deployment does not let configs
 * use, a roleARN of another account, and namespaces outside the allow-list. A standalone entry's
 * roleARN that only the association's current role could allow comes with `unlessCurrentRole`
 * ({@link CurrentRoleCondition}); settle those with {@link settleCurrentRoleConditions}.
 * `lookups` holds what {@link lookUpForGuardrails} read; a role or customer managed policy of the
 * request's account missing from it is refused. Deletes are checked for namespaces only, since
 * they grant nothing; get is not checked.
 */
export function findGuardrailViolations(
  request: CheckedRequest,
  settings: GuardrailSettings,
  lookups: Partial<GuardrailLookups> = {},
): GuardrailViolation[] {
  if (request.operation === 'get') return [];
  return [
    ...request.entries.flatMap((entry) => entryViolations(entry, request, settings, lookups, true)),
    ...addonEntries(request).flatMap((entry) =>
      entryViolations(entry, request, settings, lookups, false),
    ),
  ];
}

/**
 * Throws PolicyGuardViolation listing every violation that stands whatever EKS says; returns the
 * violations that stand only unless the association already has the role
 * ({@link CurrentRoleCondition}), which the caller must have settled before anything changes.
 * When it throws, those are not listed: they may well be no violation at all.
 */
export function checkGuardrails(
  request: CheckedRequest,
  settings: GuardrailSettings,
  lookups: Partial<GuardrailLookups> = {},
): GuardrailViolation[] {
  const violations = findGuardrailViolations(request, settings, lookups);
  const standing = violations.filter((violation) => violation.unlessCurrentRole === undefined);
  if (standing.length > 0) throw new PolicyGuardViolation(subjectOf(request), standing);
  return violations;
}

function subjectOf(request: Pick<CheckedRequest, 'source'>): string {
  return request.source === undefined ? 'the request' : describeSource(request.source);
}
