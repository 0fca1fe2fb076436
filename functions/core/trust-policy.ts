/**
 * Surgery on role trust policies: the EKS Pod Identity statement and the IRSA statements of
 * one cluster's OIDC provider. Every function is pure: it returns a new document and leaves
 * every statement it does not need to change exactly as it was (eksctl re-serialises all
 * statements and turns single strings into lists; this module does not).
 *
 * Statement indexes in results always refer to the statements of the input document.
 */
import { NamedError } from './errors.ts';
import {
  actionPatternCovers,
  type ConditionBlock,
  type PolicyDocument,
  type PolicyStatement,
  type PrincipalMap,
  statementsOf,
  toArray,
  withStatements,
} from './policy-document.ts';
import { PARTITIONS, type Partition } from './well-known-policies.ts';

export const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';
export const POD_IDENTITY_ACTIONS = ['sts:AssumeRole', 'sts:TagSession'] as const;
export const WEB_IDENTITY_ACTION = 'sts:AssumeRoleWithWebIdentity';
const SERVICE_ACCOUNT_SUBJECT_PREFIX = 'system:serviceaccount:';

/** An OIDC issuer URL or provider ARN that cannot be used to find IRSA statements. */
export class OidcProviderError extends NamedError {
  override readonly name = 'OidcProviderError';
}

function principalMapOf(statement: PolicyStatement): PrincipalMap | undefined {
  const principal = statement.Principal;
  return principal === undefined || principal === '*' ? undefined : principal;
}

function coversAction(statement: PolicyStatement, action: string): boolean {
  return toArray(statement.Action).some((pattern) => actionPatternCovers(pattern, action));
}

function namesPodIdentityPrincipal(statement: PolicyStatement): boolean {
  return toArray(principalMapOf(statement)?.Service).includes(POD_IDENTITY_PRINCIPAL);
}

// ---------------------------------------------------------------------------------------------
// Pod Identity trust

export interface PodIdentityTrustStatus {
  /** Both actions are allowed to pods.eks.amazonaws.com by some Allow statement. */
  present: boolean;
  /** Which of sts:AssumeRole / sts:TagSession no Allow statement grants yet. */
  missingActions: string[];
  /** Allow statements that name the principal and grant at least one of the actions. */
  grantingStatements: number[];
  /**
   * Deny statements that name the principal (or `*`) for one of the actions. They are never
   * edited; a plan should report them because they defeat the association.
   */
  denyingStatements: number[];
}

/**
 * Where the pods.eks.amazonaws.com trust stands.
 *
 * Decisions: the principal counts when listed alone or beside other services; actions count
 * through wildcards (`sts:*`, `*`) and may be spread over several statements; statements with
 * a Condition count as granting, because the user chose those conditions and adding an
 * unconditional statement would silently widen the trust they wrote. `NotAction` statements are
 * not read as grants.
 */
export function podIdentityTrustStatus(doc: PolicyDocument): PodIdentityTrustStatus {
  const grantingStatements: number[] = [];
  const denyingStatements: number[] = [];
  const granted = new Set<string>();
  statementsOf(doc).forEach((statement, index) => {
    const actions = POD_IDENTITY_ACTIONS.filter((action) => coversAction(statement, action));
    if (actions.length === 0) return;
    if (statement.Effect === 'Allow' && namesPodIdentityPrincipal(statement)) {
      grantingStatements.push(index);
      for (const action of actions) granted.add(action);
    } else if (
      statement.Effect === 'Deny' &&
      (statement.Principal === '*' || namesPodIdentityPrincipal(statement))
    ) {
      denyingStatements.push(index);
    }
  });
  const missingActions = POD_IDENTITY_ACTIONS.filter((action) => !granted.has(action));
  return {
    present: missingActions.length === 0,
    missingActions,
    grantingStatements,
    denyingStatements,
  };
}

/** Whether an equivalent of the pods.eks.amazonaws.com trust statement already exists. */
export function hasPodIdentityTrust(doc: PolicyDocument): boolean {
  return podIdentityTrustStatus(doc).present;
}

/** The statement EKS Pod Identity needs, as eksctl writes it. */
export function podIdentityTrustStatement(): PolicyStatement {
  return {
    Effect: 'Allow',
    Principal: { Service: POD_IDENTITY_PRINCIPAL },
    Action: [...POD_IDENTITY_ACTIONS],
  };
}

function principalNames(principal: PolicyStatement['Principal']): string {
  if (principal === undefined) return 'no principal';
  if (principal === '*') return 'anyone (*)';
  return Object.values(principal)
    .flatMap((names) => toArray(names))
    .join(', ');
}

/**
 * A trust statement in words, for plan steps: `the trust statement that allows
 * pods.eks.amazonaws.com sts:AssumeRole, sts:TagSession`, naming who and what as written.
 */
export function describeTrustStatement(statement: PolicyStatement): string {
  const verb = statement.Effect === 'Allow' ? 'allows' : 'denies';
  const who =
    statement.NotPrincipal === undefined
      ? principalNames(statement.Principal)
      : `anyone but ${principalNames(statement.NotPrincipal)}`;
  const what =
    statement.NotAction === undefined
      ? toArray(statement.Action).join(', ')
      : `every action but ${toArray(statement.NotAction).join(', ')}`;
  const conditions = statement.Condition === undefined ? '' : ' under conditions';
  return `the trust statement that ${verb} ${who} ${what}${conditions}`;
}

/** A statement whose only principal is pods.eks.amazonaws.com, so extending it grants no one else. */
function isExtensiblePodIdentityStatement(statement: PolicyStatement): boolean {
  const principal = principalMapOf(statement);
  if (statement.Effect !== 'Allow' || principal === undefined || statement.Action === undefined) {
    return false;
  }
  const { Service, ...others } = principal;
  const services = toArray(Service);
  return (
    Object.values(others).every((value) => value === undefined) &&
    services.length === 1 &&
    services[0] === POD_IDENTITY_PRINCIPAL
  );
}

export interface TrustEdit {
  document: PolicyDocument;
  changed: boolean;
}

/**
 * Adds the Pod Identity trust unless an equivalent exists (idempotent).
 *
 * When a statement already trusts pods.eks.amazonaws.com alone but lacks an action (typically
 * only `sts:AssumeRole`), the missing action is appended to that statement's Action rather than
 * adding a second statement: this keeps any conditions the user put on it, and it stays
 * surgical because no other principal is named there. Otherwise the eksctl statement is
 * appended at the end.
 */
export function addPodIdentityTrust(doc: PolicyDocument): TrustEdit {
  const status = podIdentityTrustStatus(doc);
  if (status.present) return { document: structuredClone(doc), changed: false };
  const statements = statementsOf(structuredClone(doc));
  const target = statements.findIndex(isExtensiblePodIdentityStatement);
  const existing = statements[target];
  if (existing === undefined) {
    return {
      document: withStatements(doc, [...statements, podIdentityTrustStatement()]),
      changed: true,
    };
  }
  statements[target] = {
    ...existing,
    Action: [...toArray(existing.Action), ...status.missingActions],
  };
  return { document: withStatements(doc, statements), changed: true };
}

// ---------------------------------------------------------------------------------------------
// IRSA (OIDC web identity) trust

export interface OidcProvider {
  /** `arn:<partition>:iam::<account>:oidc-provider/<issuerHostPath>` */
  providerArn: string;
  /** The issuer without `https://`; condition keys are `<prefix>:sub` and `<prefix>:aud`. */
  conditionKeyPrefix: string;
}

function issuerHostPath(issuerUrl: string): string {
  let url: URL;
  try {
    url = new URL(issuerUrl);
  } catch {
    throw new OidcProviderError(`"${issuerUrl}" is not an OIDC issuer URL`);
  }
  if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new OidcProviderError(
      `"${issuerUrl}" is not an OIDC issuer URL (expected https://host/path with no query)`,
    );
  }
  return `${url.host}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * The IAM OIDC provider of a cluster issuer, as DescribeCluster reports it
 * (`cluster.identity.oidc.issuer`).
 *
 * @example
 * oidcProviderForIssuer('https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE1', '111122223333', 'aws')
 * // { providerArn: 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE1',
 * //   conditionKeyPrefix: 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE1' }
 */
export function oidcProviderForIssuer(
  issuerUrl: string,
  accountId: string,
  partition: Partition,
): OidcProvider {
  if (!/^\d{12}$/.test(accountId)) {
    throw new OidcProviderError(`"${accountId}" is not an AWS account ID (12 digits)`);
  }
  if (!PARTITIONS.includes(partition)) {
    throw new OidcProviderError(`"${String(partition)}" is not a supported partition`);
  }
  const conditionKeyPrefix = issuerHostPath(issuerUrl);
  return {
    providerArn: `arn:${partition}:iam::${accountId}:oidc-provider/${conditionKeyPrefix}`,
    conditionKeyPrefix,
  };
}

const PROVIDER_ARN_PATTERN = /^arn:[a-z-]+:iam::\d{12}:oidc-provider\/(.+)$/;

interface ProviderMatcher {
  conditionKeyPrefix: string;
  matches(federated: string): boolean;
}

/**
 * An ARN matches that exact provider. An issuer URL matches a provider of that issuer in any
 * account: a role can only trust a provider of its own account, so this is the same provider.
 */
function providerMatcher(providerArnOrIssuer: string): ProviderMatcher {
  const arnMatch = PROVIDER_ARN_PATTERN.exec(providerArnOrIssuer);
  if (arnMatch?.[1] !== undefined) {
    return {
      conditionKeyPrefix: arnMatch[1],
      matches: (federated) => federated === providerArnOrIssuer,
    };
  }
  if (providerArnOrIssuer.startsWith('arn:')) {
    throw new OidcProviderError(
      `"${providerArnOrIssuer}" is not an OIDC provider ARN (arn:<partition>:iam::<account>:oidc-provider/<issuer>)`,
    );
  }
  const prefix = issuerHostPath(providerArnOrIssuer);
  return {
    conditionKeyPrefix: prefix,
    matches: (federated) => PROVIDER_ARN_PATTERN.exec(federated)?.[1] === prefix,
  };
}

/** The operators whose `:sub` values are read as subjects; `*`/`?` are wildcards under *Like. */
export const SUBJECT_OPERATORS = [
  'StringEquals',
  'StringLike',
  'ForAnyValue:StringEquals',
  'ForAnyValue:StringLike',
] as const;
type SubjectOperator = (typeof SUBJECT_OPERATORS)[number];

function isSubjectOperator(operator: string): operator is SubjectOperator {
  return (SUBJECT_OPERATORS as readonly string[]).includes(operator);
}

export interface ServiceAccountRef {
  namespace: string;
  serviceAccount: string;
}

export interface IrsaSubject {
  statementIndex: number;
  operator: SubjectOperator;
  /** The `:sub` value as written, e.g. `system:serviceaccount:default:s3-reader`. */
  value: string;
  /** Undefined when the value is not `system:serviceaccount:<ns>:<sa>`-shaped. */
  namespace: string | undefined;
  serviceAccount: string | undefined;
  /** The value has `*` or `?` under a *Like operator, so it stands for many accounts. */
  wildcard: boolean;
}

export interface OtherCondition {
  operator: string;
  key: string;
  values: (string | number | boolean)[];
}

export interface IrsaStatement {
  statementIndex: number;
  /** The Federated principal that matched. */
  federated: string;
  /**
   * The statement also names other principals (more Federated values, AWS, Service, ...).
   * Removal never edits such a statement: it belongs to someone else too.
   */
  sharedPrincipal: boolean;
  /** No `:sub` condition under any operator: every service account of the cluster may assume. */
  clusterWide: boolean;
  /** `:aud` values under the subject operators. */
  audiences: string[];
  subjects: IrsaSubject[];
  /** Conditions on this provider's keys under operators not read here (reported, not ignored). */
  otherConditions: OtherCondition[];
}

export interface IrsaTrust {
  statements: IrsaStatement[];
  /** All subjects of all statements, in document order. */
  subjects: IrsaSubject[];
}

/** `system:serviceaccount:<namespace>:<serviceAccount>` */
export function irsaSubjectValue(ref: ServiceAccountRef): string {
  return `${SERVICE_ACCOUNT_SUBJECT_PREFIX}${ref.namespace}:${ref.serviceAccount}`;
}

const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:([^:]+):([^:]+)$/;

function parseSubject(
  statementIndex: number,
  operator: SubjectOperator,
  value: string,
): IrsaSubject {
  const match = SERVICE_ACCOUNT_SUBJECT.exec(value);
  return {
    statementIndex,
    operator,
    value,
    namespace: match?.[1],
    serviceAccount: match?.[2],
    wildcard: operator.endsWith('StringLike') && /[*?]/.test(value),
  };
}

/** Condition keys are case-insensitive in IAM. */
function isProviderKey(key: string, prefix: string, claim?: string): boolean {
  const lower = key.toLowerCase();
  const lowerPrefix = `${prefix.toLowerCase()}:`;
  return claim === undefined ? lower.startsWith(lowerPrefix) : lower === `${lowerPrefix}${claim}`;
}

function isIrsaCandidate(statement: PolicyStatement): boolean {
  return statement.Effect === 'Allow' && coversAction(statement, WEB_IDENTITY_ACTION);
}

function isSharedPrincipal(principal: PrincipalMap): boolean {
  const { Federated, ...others } = principal;
  return (
    toArray(Federated).length > 1 || Object.values(others).some((value) => value !== undefined)
  );
}

function readIrsaStatement(
  statement: PolicyStatement,
  statementIndex: number,
  provider: ProviderMatcher,
): IrsaStatement | undefined {
  const principal = principalMapOf(statement);
  const federated = toArray(principal?.Federated).find((value) => provider.matches(value));
  if (principal === undefined || federated === undefined || !isIrsaCandidate(statement)) {
    return undefined;
  }
  const prefix = provider.conditionKeyPrefix;
  const result: IrsaStatement = {
    statementIndex,
    federated,
    sharedPrincipal: isSharedPrincipal(principal),
    clusterWide: true,
    audiences: [],
    subjects: [],
    otherConditions: [],
  };
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, raw] of Object.entries(keys)) {
      if (!isProviderKey(key, prefix)) continue;
      const values = toArray(raw);
      if (isProviderKey(key, prefix, 'sub')) result.clusterWide = false;
      if (!isSubjectOperator(operator)) {
        result.otherConditions.push({ operator, key, values });
      } else if (isProviderKey(key, prefix, 'sub')) {
        for (const value of values) {
          result.subjects.push(parseSubject(statementIndex, operator, String(value)));
        }
      } else if (isProviderKey(key, prefix, 'aud')) {
        result.audiences.push(...values.map(String));
      } else {
        result.otherConditions.push({ operator, key, values });
      }
    }
  }
  return result;
}

/**
 * The IRSA statements of one OIDC provider (given as provider ARN or issuer URL): Allow
 * statements whose Federated principal is that provider and whose Action covers
 * sts:AssumeRoleWithWebIdentity. Subjects are read from `<issuer>:sub` under
 * {@link SUBJECT_OPERATORS}, single values or lists. Anything else on this provider's keys is
 * listed in `otherConditions`; a statement with no `:sub` at all is flagged `clusterWide`.
 */
export function findIrsaSubjects(doc: PolicyDocument, providerArnOrIssuer: string): IrsaTrust {
  const provider = providerMatcher(providerArnOrIssuer);
  const statements = statementsOf(doc).flatMap((statement, index) => {
    const found = readIrsaStatement(statement, index, provider);
    return found === undefined ? [] : [found];
  });
  return { statements, subjects: statements.flatMap((statement) => statement.subjects) };
}

export interface RemoveIrsaOptions {
  /**
   * Also drop this provider's statements that have no `:sub` condition. Off by default: such a
   * statement lets every service account of the cluster in, and removing it may cut off
   * workloads nobody listed.
   */
  removeClusterWide?: boolean;
}

export interface SkippedIrsaStatement {
  statementIndex: number;
  reason: 'shared-principal';
  /** Requested subjects found in the statement and left in place. */
  subjects: IrsaSubject[];
}

export interface IrsaRemoval extends TrustEdit {
  /** Subject values taken out, with the statement they were in. */
  removed: IrsaSubject[];
  /** Statements deleted from the document (input indexes). */
  droppedStatements: number[];
  /** Statements holding requested subjects that were not edited, with the reason. */
  skipped: SkippedIrsaStatement[];
  /** Requested service accounts that no statement of this provider names. */
  notFound: ServiceAccountRef[];
}

/**
 * Removes the `:sub` values `system:serviceaccount:<ns>:<sa>` of the given service accounts
 * from the IRSA statements of one provider, matching values exactly (a wildcard value such as
 * `system:serviceaccount:ns:*` is removed only when asked for literally, since it may serve
 * other service accounts).
 *
 * - Statements of other providers and other principals are never touched; neither are
 *   statements that name this provider together with other principals (`skipped`).
 * - `:aud` and every other condition stay as they were; a list stays a list.
 * - A statement is dropped when one of its `:sub` conditions loses its last value. Conditions
 *   are ANDed, so such a statement can no longer match anyone, and keeping it without that
 *   condition would open it to the whole cluster.
 * - Statements without `:sub` are dropped only with `removeClusterWide`.
 */
export function removeIrsaSubjects(
  doc: PolicyDocument,
  providerArnOrIssuer: string,
  subjects: readonly ServiceAccountRef[],
  options: RemoveIrsaOptions = {},
): IrsaRemoval {
  const provider = providerMatcher(providerArnOrIssuer);
  const prefix = provider.conditionKeyPrefix;
  const wanted = new Set(subjects.map(irsaSubjectValue));
  const seen = new Set<string>();
  const result: IrsaRemoval = {
    document: doc,
    changed: false,
    removed: [],
    droppedStatements: [],
    skipped: [],
    notFound: [],
  };
  const kept: PolicyStatement[] = [];

  statementsOf(structuredClone(doc)).forEach((statement, index) => {
    const irsa = readIrsaStatement(statement, index, provider);
    if (irsa === undefined) {
      kept.push(statement);
      return;
    }
    const requested = irsa.subjects.filter((subject) => wanted.has(subject.value));
    for (const subject of requested) seen.add(subject.value);
    if (irsa.sharedPrincipal) {
      if (requested.length > 0) {
        result.skipped.push({
          statementIndex: index,
          reason: 'shared-principal',
          subjects: requested,
        });
      }
      kept.push(statement);
      return;
    }
    if (irsa.clusterWide) {
      if (options.removeClusterWide === true) result.droppedStatements.push(index);
      else kept.push(statement);
      return;
    }
    if (requested.length === 0) {
      kept.push(statement);
      return;
    }
    result.removed.push(...requested);
    const { condition, exhausted } = withoutSubjects(statement.Condition ?? {}, prefix, wanted);
    if (exhausted) {
      result.droppedStatements.push(index);
    } else {
      kept.push({ ...statement, Condition: condition });
    }
  });

  result.notFound = subjects.filter((ref) => !seen.has(irsaSubjectValue(ref)));
  result.changed = result.removed.length > 0 || result.droppedStatements.length > 0;
  result.document = result.changed ? withStatements(doc, kept) : structuredClone(doc);
  return result;
}

/**
 * The condition block without the wanted `:sub` values. `exhausted` is set when a `:sub`
 * condition under a subject operator would be left with no value.
 */
function withoutSubjects(
  condition: ConditionBlock,
  prefix: string,
  wanted: ReadonlySet<string>,
): { condition: ConditionBlock; exhausted: boolean } {
  let exhausted = false;
  const edited: ConditionBlock = {};
  for (const [operator, keys] of Object.entries(condition)) {
    edited[operator] = { ...keys };
    if (!isSubjectOperator(operator)) continue;
    for (const [key, raw] of Object.entries(keys)) {
      if (!isProviderKey(key, prefix, 'sub')) continue;
      const values = toArray(raw);
      const remaining = values.filter((value) => !wanted.has(String(value)));
      if (remaining.length === values.length) continue;
      if (remaining.length === 0) exhausted = true;
      edited[operator] = { ...edited[operator], [key]: remaining };
    }
  }
  return { condition: edited, exhausted };
}
