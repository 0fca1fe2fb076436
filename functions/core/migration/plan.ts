/**
 * The migration plan: which IRSA service accounts move to Pod Identity, through which roles,
 * and what is left out and why. It is decided here, from plain facts the discovery task read
 * (Kubernetes annotations, IAM trust policies, add-ons, eksctl stacks, existing associations),
 * so every rule can be tested without AWS.
 *
 * Kubernetes annotations say which role a service account uses; IAM trust says whether IRSA
 * really works for it. A service account is migrated only when both agree (or, without the
 * Kubernetes API, when an exact trust subject names it), because creating an association for
 * an annotation the role does not trust would grant access the workload never had.
 */

import { POD_IDENTITY_AGENT } from '../addon.ts';
import { namesSameRole, parseRoleArn, type RoleArnParts, roleKey } from '../arn.ts';
import { globMatches } from '../glob.ts';
import { fitsQuota, policySize } from '../policy-document.ts';
import {
  addPodIdentityTrust,
  findIrsaSubjects,
  type IrsaSubject,
  type IrsaTrust,
  irsaSubjectValue,
} from '../trust-policy.ts';
import { addonsToMigrate, type PlannedAddon } from './addons.ts';
import { type Coverage, coverageOf } from './coverage.ts';
import type { DiscoveryMode } from './discovery-modes.ts';
import { isMigratable, type MigratableRoles, notMigratableReason } from './migratable.ts';
import type { OidcProviderFact } from './provider.ts';
import type { MigrationRequest } from './request.ts';
import type { RoleFact } from './role-fact.ts';

export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';

/**
 * Service accounts (and roles) per Map iteration, unless one role alone has more. Small batches
 * keep the pipeline full: each iteration reaches its association and annotation writes soon, so
 * the EKS and Kubernetes limits are both busy from the start, and the last iterations drain fast.
 */
export const BATCH_SIZE = 25;
/**
 * The largest batch: the tasks' timeouts (worst cases in their contract.ts) are budgeted for 50
 * roles or service accounts per invocation.
 */
export const MAX_BATCH_SIZE = 50;
/**
 * Iterations a run aims to stay within by growing its batches up to MAX_BATCH_SIZE: about 30
 * history events per iteration keep 400 of them (20,000 service accounts) far under Step
 * Functions' 25,000 events per execution.
 */
export const MAX_BATCHES = 400;

// ---------------------------------------------------------------------------------------------
// Facts

export interface ServiceAccountFact {
  namespace: string;
  name: string;
  /** The `eks.amazonaws.com/role-arn` annotation, when the service account has one. */
  roleArnAnnotation?: string | undefined;
  resourceVersion?: string | undefined;
}

export interface PodFact {
  namespace: string;
  name: string;
  serviceAccount: string;
}

export interface AddonRoleFact {
  addonName: string;
  roleArn: string;
  /** Read for the add-on's own migration (core/migration/addons.ts). */
  version?: string | undefined;
  hasPodIdentityAssociations?: boolean | undefined;
  configurationValues?: string | undefined;
}

/** An eksctl `iamserviceaccount` stack and the roles it created. */
export interface StackFact {
  stackName: string;
  roleNames: string[];
  /** Named as eksctl names it, so its roles are migrated through the stack (a change set). */
  updatable?: boolean | undefined;
  /** Already tagged `alpha.eksctl.io/podidentityassociation-name`, as a migrated stack is. */
  podIdentityTagged?: boolean | undefined;
}

export interface AssociationFact {
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  ownerArn?: string | undefined;
}

export interface MigrationFacts {
  request: Pick<
    MigrationRequest,
    | 'clusterName'
    | 'region'
    | 'approve'
    | 'removeOidcProviderTrustRelationship'
    | 'allowStackDrift'
    | 'namespaces'
    | 'discovery'
  >;
  provider: OidcProviderFact;
  /** The agent add-on exists, or the cluster runs EKS Auto Mode, which has it built in. */
  agentInstalled: boolean;
  /** The account's `AssumeRolePolicySizeQuota` (GetAccountSummary). */
  assumeRolePolicySizeQuota: number;
  /** What the Kubernetes API returned; undefined when discovery used IAM alone. */
  kubernetes?:
    | {
        serviceAccounts: ServiceAccountFact[];
        /** Undefined when pods could not be listed. */
        pods?: PodFact[] | undefined;
      }
    | undefined;
  /** Roles whose trust names the provider, and the other roles annotations name, as IAM has them. */
  roles: RoleFact[];
  addonRoles: AddonRoleFact[];
  stacks: StackFact[];
  associations: AssociationFact[];
  /** Run-level warnings from discovery (for example why Kubernetes was not used). */
  warnings: string[];
  /** The deployment's migratableRoleArnPatterns: roles outside them are left out. */
  migratableRoleArnPatterns?: MigratableRoles;
}

// ---------------------------------------------------------------------------------------------
// Plan

export type FindingKind =
  | 'invalid-annotation'
  | 'other-account'
  | 'addon-role'
  | 'stack-owned'
  | 'role-not-found'
  | 'annotation-without-trust'
  | 'association-conflict'
  | 'ambiguous-subject'
  | 'trust-without-service-account'
  | 'wildcard-subject'
  | 'cluster-wide-trust'
  | 'unrecognised-subject'
  | 'role-path'
  | 'annotation-path-mismatch'
  | 'stack-drift'
  | 'role-not-migratable';

/** A difference between Kubernetes and IAM, or a reason something is left out. */
export interface Finding {
  kind: FindingKind;
  /** The service account (or subject) is left out of the migration because of this. */
  skipped: boolean;
  namespace?: string | undefined;
  serviceAccount?: string | undefined;
  roleName?: string | undefined;
  roleArn?: string | undefined;
  stackName?: string | undefined;
  addonName?: string | undefined;
  subject?: string | undefined;
  message: string;
}

export type TrustAction = 'add' | 'present' | 'too-large';

export interface PlannedRole {
  name: string;
  arn: string;
  /** The eksctl stack that owns the role. */
  stackName?: string | undefined;
  /**
   * The role's trust is changed through its stack (a change set), not with IAM; otherwise an
   * owning stack is drifted, which only allowStackDrift permits.
   */
  throughStack?: boolean | undefined;
  /** The stack still lacks eksctl's pod identity tag, which the trust change set adds. */
  stackTagPending?: boolean | undefined;
  trust: TrustAction;
  trustSize: { current: number; withPodIdentity: number; quota: number };
  /** This role's service accounts: `serviceAccounts[first .. first + count - 1]`. */
  firstServiceAccount: number;
  serviceAccountCount: number;
}

export interface PlannedServiceAccount {
  namespace: string;
  serviceAccount: string;
  roleIndex: number;
  /** The annotation as read (Kubernetes discovery); undefined when Kubernetes was not read. */
  annotation?: { roleArn: string; resourceVersion?: string | undefined } | undefined;
  coverage: Coverage;
  association: 'create' | 'exists';
  /** Pods running as this service account; undefined when pods were not listed. */
  pods?: string[] | undefined;
}

export interface MigrationPlan {
  clusterName: string;
  region: string;
  providerArn: string;
  account: string;
  approve: boolean;
  removeOidcProviderTrustRelationship: boolean;
  allowStackDrift: boolean;
  namespaces: string[];
  discovery: { requested: DiscoveryMode; used: 'kubernetes' | 'iam' };
  agentInstalled: boolean;
  assumeRolePolicySizeQuota: number;
  /** The Map iterations of the migration, in order; each holds whole roles. */
  batches: MigrationBatch[];
  roles: PlannedRole[];
  /** Ordered by role, so a role's service accounts are contiguous. */
  serviceAccounts: PlannedServiceAccount[];
  findings: Finding[];
  warnings: string[];
  /** The add-ons with an IRSA role, migrated through their own podIdentityAssociations. */
  addons?: PlannedAddon[] | undefined;
}

/**
 * One iteration of the migration's Map: consecutive roles with all their service accounts, so
 * the iteration takes them through every step in the safety order (trust, association,
 * annotation, OIDC trust) without waiting for other iterations, and iterations at different
 * steps use the independent EKS, IAM and Kubernetes rate limits at the same time.
 */
export interface MigrationBatch {
  firstRole: number;
  roleCount: number;
  firstServiceAccount: number;
  serviceAccountCount: number;
}

/** What is still to do for one service account, read from the plan. */
export interface PendingSteps {
  trust: boolean;
  association: boolean;
  annotation: boolean;
  oidcTrust: boolean;
  /** Why nothing can be done for it (its role cannot take the Pod Identity statement). */
  blocked?: string | undefined;
}

// ---------------------------------------------------------------------------------------------

function keyOf(namespace: string, serviceAccount: string): string {
  return `${namespace}/${serviceAccount}`;
}

function inNamespaces(namespaces: readonly string[], namespace: string | undefined): boolean {
  return namespaces.length === 0 || (namespace !== undefined && namespaces.includes(namespace));
}

/**
 * Role names that annotations name in the provider's account but that are not among the
 * roles trusting the provider: discovery looks these up (GetRole) to tell a role that does not
 * exist from one that does not trust the cluster.
 */
export function annotatedRolesToLookUp(
  serviceAccounts: readonly ServiceAccountFact[],
  trustingRoles: readonly Pick<RoleFact, 'name'>[],
  provider: Pick<OidcProviderFact, 'account'>,
  namespaces: readonly string[],
): string[] {
  const known = new Set(trustingRoles.map((role) => roleKey(role.name)));
  const names = new Map<string, string>();
  for (const sa of serviceAccounts) {
    if (!sa.roleArnAnnotation || !inNamespaces(namespaces, sa.namespace)) continue;
    const parts = parseRoleArn(sa.roleArnAnnotation);
    if (!parts || parts.account !== provider.account || known.has(roleKey(parts.name))) continue;
    names.set(roleKey(parts.name), parts.name);
  }
  return [...names.values()].sort();
}

interface Candidate {
  namespace: string;
  serviceAccount: string;
  role: RoleFact;
  coverage: Coverage;
  annotation?: PlannedServiceAccount['annotation'];
}

type Accepted = Candidate & { association: 'create' | 'exists' };

interface Context {
  facts: MigrationFacts;
  /** parseRoleArn, once per ARN for the whole plan: an annotation is read by several rules. */
  roleOf: (arn: string) => RoleArnParts | undefined;
  findings: Finding[];
  trustOf: Map<string, IrsaTrust>;
  roleByKey: Map<string, RoleFact>;
  addonByRole: Map<string, string>;
  stackByRole: Map<string, StackFact>;
}

function quoted(namespace: string, serviceAccount: string): string {
  return `"${keyOf(namespace, serviceAccount)}"`;
}

/** Builds the plan; see the module comment for the rules. */
export function planMigration(facts: MigrationFacts): MigrationPlan {
  const trustOf = new Map<string, IrsaTrust>();
  const roleByKey = new Map<string, RoleFact>();
  for (const role of facts.roles) {
    roleByKey.set(roleKey(role.name), role);
    trustOf.set(roleKey(role.name), findIrsaSubjects(role.trustPolicy, facts.provider.arn));
  }
  const parsed = new Map<string, RoleArnParts | undefined>();
  const roleOf = (arn: string): RoleArnParts | undefined => {
    if (!parsed.has(arn)) parsed.set(arn, parseRoleArn(arn));
    return parsed.get(arn);
  };
  const addonByRole = new Map<string, string>();
  for (const addon of facts.addonRoles) {
    const name = roleOf(addon.roleArn)?.name;
    if (name) addonByRole.set(roleKey(name), addon.addonName);
  }
  const stackByRole = new Map<string, StackFact>();
  for (const stack of facts.stacks) {
    for (const name of stack.roleNames) stackByRole.set(roleKey(name), stack);
  }
  const context: Context = {
    facts,
    roleOf,
    findings: [],
    trustOf,
    roleByKey,
    addonByRole,
    stackByRole,
  };

  const candidates = facts.kubernetes
    ? candidatesFromKubernetes(context, facts.kubernetes.serviceAccounts)
    : candidatesFromIam(context);
  const accepted = withoutAssociationConflicts(context, candidates);
  return assemble(context, accepted);
}

// --- Kubernetes discovery ----------------------------------------------------------------------

function candidatesFromKubernetes(
  context: Context,
  serviceAccounts: readonly ServiceAccountFact[],
): Candidate[] {
  const namespaces = context.facts.request.namespaces;
  const candidates: Candidate[] = [];
  for (const sa of serviceAccounts) {
    if (!inNamespaces(namespaces, sa.namespace)) continue;
    const annotation = sa.roleArnAnnotation;
    const candidate =
      annotation === undefined
        ? halfMigratedCandidate(context, sa)
        : annotatedCandidate(context, sa, annotation);
    if (candidate) candidates.push(candidate);
  }
  reportUnmatchedTrust(context, serviceAccounts, candidates);
  return candidates;
}

/** The candidate an annotated service account makes, or undefined with the finding why not. */
function annotatedCandidate(
  context: Context,
  sa: ServiceAccountFact,
  annotation: string,
): Candidate | undefined {
  const { facts, findings } = context;
  const base = { namespace: sa.namespace, serviceAccount: sa.name, roleArn: annotation };
  const who = quoted(sa.namespace, sa.name);
  const parts = context.roleOf(annotation);
  if (!parts) {
    findings.push({
      ...base,
      kind: 'invalid-annotation',
      skipped: true,
      message: `service account ${who} has annotation ${ROLE_ARN_ANNOTATION} "${annotation}", which is not an IAM role ARN; not migrated`,
    });
    return undefined;
  }
  if (parts.account !== facts.provider.account) {
    findings.push({
      ...base,
      kind: 'other-account',
      skipped: true,
      roleName: parts.name,
      message:
        `service account ${who} uses role ${annotation} of account ${parts.account} (cross-account IRSA); ` +
        `Pod Identity needs a role in the cluster's account ${facts.provider.account} that chains into it ` +
        '(targetRoleArn), so it is not migrated',
    });
    return undefined;
  }
  const key = roleKey(parts.name);
  const addonName = context.addonByRole.get(key);
  if (addonName !== undefined) {
    findings.push({
      ...base,
      kind: 'addon-role',
      skipped: true,
      roleName: parts.name,
      addonName,
      message: `found IAM role for service account ${who} associated with EKS addon "${addonName}"; migrated through the add-on (its podIdentityAssociations), not by an association beside it`,
    });
    return undefined;
  }
  const stack = context.stackByRole.get(key);
  if (stack !== undefined && !stack.updatable && !facts.request.allowStackDrift) {
    findings.push({
      ...base,
      kind: 'stack-owned',
      skipped: true,
      roleName: parts.name,
      stackName: stack.stackName,
      message: `role "${parts.name}" of service account ${who} is ${STACK_NOT_UPDATABLE(stack.stackName)}`,
    });
    return undefined;
  }
  const role = context.roleByKey.get(key);
  if (!role) {
    findings.push({
      ...base,
      kind: 'role-not-found',
      skipped: true,
      roleName: parts.name,
      message: `service account ${who} is annotated with role ${annotation}, which does not exist in account ${parts.account}; not migrated`,
    });
    return undefined;
  }
  const excluding = excludedBy(context, role);
  if (excluding !== undefined) {
    findings.push({
      ...notMigratableFinding(role, excluding),
      namespace: sa.namespace,
      serviceAccount: sa.name,
      message: `service account ${who}: ${notMigratableReason(role.arn, excluding)}`,
    });
    return undefined;
  }
  const coverage = coverageOf(context.trustOf.get(key) ?? { statements: [], subjects: [] }, {
    namespace: sa.namespace,
    serviceAccount: sa.name,
  });
  if (!coverage) {
    findings.push({
      ...base,
      kind: 'annotation-without-trust',
      skipped: true,
      roleName: role.name,
      roleArn: role.arn,
      message:
        `service account ${who} is annotated with role "${role.name}", but the role does not trust this cluster's OIDC provider for it, ` +
        'so IRSA does not work for it today; not migrated, since an association would grant access it does not have',
    });
    return undefined;
  }
  if (roleKey(parts.path) !== roleKey(role.path)) {
    findings.push({
      ...base,
      kind: 'annotation-path-mismatch',
      skipped: false,
      roleName: role.name,
      roleArn: role.arn,
      message: `service account ${who} names role "${role.name}" with the path ${parts.path}, but the role's path is ${role.path}; the association uses the role's ARN ${role.arn}`,
    });
  }
  return {
    namespace: sa.namespace,
    serviceAccount: sa.name,
    role,
    coverage,
    annotation: {
      roleArn: annotation,
      ...(sa.resourceVersion ? { resourceVersion: sa.resourceVersion } : {}),
    },
  };
}

/**
 * A service account an interrupted migration left half done: its annotation is gone (removed
 * by the earlier run), its association exists, and the association's role still trusts this
 * cluster's OIDC provider for it by its exact subject. With OIDC-trust removal asked for, the
 * rerun finishes the job; the association existing is what makes removing that trust safe.
 */
function halfMigratedCandidate(context: Context, sa: ServiceAccountFact): Candidate | undefined {
  const { facts } = context;
  if (!facts.request.removeOidcProviderTrustRelationship) return undefined;
  const association = facts.associations.find(
    (candidate) => candidate.namespace === sa.namespace && candidate.serviceAccount === sa.name,
  );
  if (!association || association.ownerArn) return undefined;
  const parts = context.roleOf(association.roleArn);
  if (!parts || parts.account !== facts.provider.account) return undefined;
  const key = roleKey(parts.name);
  if (context.addonByRole.has(key)) return undefined;
  const stack = context.stackByRole.get(key);
  if (stack !== undefined && !stack.updatable && !facts.request.allowStackDrift) return undefined;
  const role = context.roleByKey.get(key);
  // A role left out is reported once, with the roles trusting the provider (reportUnmatchedTrust).
  if (!role || excludedBy(context, role) !== undefined) return undefined;
  const coverage = coverageOf(context.trustOf.get(key) ?? { statements: [], subjects: [] }, {
    namespace: sa.namespace,
    serviceAccount: sa.name,
  });
  if (coverage?.kind !== 'subject') return undefined;
  return { namespace: sa.namespace, serviceAccount: sa.name, role, coverage };
}

/** Trust subjects no annotated service account accounts for: stale trust, or wildcards. */
function reportUnmatchedTrust(
  context: Context,
  serviceAccounts: readonly ServiceAccountFact[],
  candidates: readonly Candidate[],
): void {
  const { facts, findings } = context;
  const namespaces = facts.request.namespaces;
  const byKey = new Map(serviceAccounts.map((sa) => [keyOf(sa.namespace, sa.name), sa]));
  const migratedThrough = new Set(
    candidates.map(
      (candidate) =>
        `${roleKey(candidate.role.name)} ${candidate.coverage.kind === 'cluster-wide' ? '' : candidate.coverage.value}`,
    ),
  );
  const coveredCount = (role: RoleFact, value: string) =>
    candidates.filter(
      (candidate) =>
        roleKey(candidate.role.name) === roleKey(role.name) &&
        candidate.coverage.kind !== 'cluster-wide' &&
        candidate.coverage.value === value,
    ).length;

  for (const role of facts.roles) {
    const key = roleKey(role.name);
    const trust = context.trustOf.get(key);
    if (!trust || trust.statements.length === 0) continue;
    // Left out whole; said once, unless an annotated service account's finding already says it.
    const reported = findings.some(
      (finding) => finding.roleName !== undefined && roleKey(finding.roleName) === key,
    );
    const leftToOwner = roleLeftToOwner(context, role);
    if (leftToOwner !== undefined) {
      if (!reported) findings.push(leftToOwner);
      continue;
    }
    const excluding = excludedBy(context, role);
    if (excluding !== undefined) {
      if (!reported) findings.push(notMigratableFinding(role, excluding));
      continue;
    }
    const roleFields = { roleName: role.name, roleArn: role.arn };
    for (const subject of trust.subjects) {
      if (subject.namespace === undefined || subject.serviceAccount === undefined) {
        findings.push(unrecognisedSubject(role, subject.value));
        continue;
      }
      if (!inNamespaces(namespaces, subject.namespace) && !wildcardReaches(subject, namespaces)) {
        continue;
      }
      if (subject.wildcard) {
        const covered = coveredCount(role, subject.value);
        findings.push({
          ...roleFields,
          kind: 'wildcard-subject',
          skipped: false,
          subject: subject.value,
          message:
            covered > 0
              ? `role "${role.name}" trusts the wildcard subject "${subject.value}": the ${covered} service account(s) annotated with the role that it covers are migrated one by one, and the wildcard stays in the trust policy because it may serve others`
              : `role "${role.name}" trusts the wildcard subject "${subject.value}", which covers no service account annotated with the role`,
        });
        continue;
      }
      if (migratedThrough.has(`${key} ${subject.value}`)) continue;
      const sa = byKey.get(keyOf(subject.namespace, subject.serviceAccount));
      // Annotated with this very role but left out for another reason, reported with it.
      if (
        sa?.roleArnAnnotation !== undefined &&
        roleKey(context.roleOf(sa.roleArnAnnotation)?.name ?? '') === key
      ) {
        continue;
      }
      const why =
        sa === undefined
          ? 'that service account does not exist'
          : sa.roleArnAnnotation === undefined
            ? `that service account has no ${ROLE_ARN_ANNOTATION} annotation`
            : `that service account is annotated with ${sa.roleArnAnnotation}`;
      findings.push({
        ...roleFields,
        kind: 'trust-without-service-account',
        skipped: true,
        namespace: subject.namespace,
        serviceAccount: subject.serviceAccount,
        subject: subject.value,
        message: `role "${role.name}" trusts ${subject.value} of this cluster, but ${why}; not migrated`,
      });
    }
    if (trust.statements.some((statement) => statement.clusterWide)) {
      const covered = candidates.filter(
        (candidate) =>
          roleKey(candidate.role.name) === roleKey(role.name) &&
          candidate.coverage.kind === 'cluster-wide',
      ).length;
      findings.push({
        ...roleFields,
        kind: 'cluster-wide-trust',
        skipped: false,
        message: `role "${role.name}" trusts every service account of this cluster (a statement without a :sub condition)${covered > 0 ? `: the ${covered} service account(s) annotated with the role are migrated one by one, and that statement stays` : ''}`,
      });
    }
  }
}

/** A wildcard subject whose namespace part may match one of the namespaces asked for. */
function wildcardReaches(subject: IrsaSubject, namespaces: readonly string[]): boolean {
  const pattern = subject.namespace;
  return (
    subject.wildcard &&
    pattern !== undefined &&
    namespaces.some((namespace) => globMatches(pattern, namespace))
  );
}

/**
 * The finding for a role the migration leaves to its owner: an EKS add-on (migrated through its
 * podIdentityAssociations), or an eksctl stack that cannot be updated; undefined for any other.
 */
function roleLeftToOwner(context: Context, role: RoleFact): Finding | undefined {
  const key = roleKey(role.name);
  const fields = { skipped: true, roleName: role.name, roleArn: role.arn };
  const addonName = context.addonByRole.get(key);
  if (addonName !== undefined) {
    return {
      kind: 'addon-role',
      ...fields,
      addonName,
      message: `role "${role.name}" is the IAM role of EKS addon "${addonName}"; migrated through the add-on (its podIdentityAssociations), not by an association beside it`,
    };
  }
  const stack = context.stackByRole.get(key);
  if (stack === undefined || stack.updatable || context.facts.request.allowStackDrift) {
    return undefined;
  }
  return {
    kind: 'stack-owned',
    ...fields,
    stackName: stack.stackName,
    message: `role "${role.name}" is ${STACK_NOT_UPDATABLE(stack.stackName)}`,
  };
}

const STACK_NOT_UPDATABLE = (stackName: string) =>
  `owned by CloudFormation stack "${stackName}" (an eksctl iamserviceaccount), whose name is not one eksctl gives its role stacks, so this service may not update it; ` +
  'skipped so that the stack does not drift. Migrate it with eksctl, or run again with allowStackDrift to change its trust policy outside the stack';

/** The deployment's patterns when they leave the role out; undefined when it may be migrated. */
function excludedBy(context: Context, role: RoleFact): readonly string[] | undefined {
  const patterns = context.facts.migratableRoleArnPatterns;
  return patterns !== undefined && !isMigratable(role.arn, patterns) ? patterns : undefined;
}

function notMigratableFinding(role: RoleFact, patterns: readonly string[]): Finding {
  return {
    kind: 'role-not-migratable',
    skipped: true,
    roleName: role.name,
    roleArn: role.arn,
    message: notMigratableReason(role.arn, patterns),
  };
}

function unrecognisedSubject(role: RoleFact, value: string): Finding {
  return {
    kind: 'unrecognised-subject',
    skipped: true,
    roleName: role.name,
    roleArn: role.arn,
    subject: value,
    message: `role "${role.name}" trusts the subject "${value}", which is not system:serviceaccount:<namespace>:<name>; ignored`,
  };
}

// --- IAM discovery -----------------------------------------------------------------------------

/**
 * Without annotations, an exact subject is the only evidence of which service account uses a
 * role. Wildcards and cluster-wide statements cannot be expanded, and a service account trusted
 * by several roles is ambiguous; those are reported, not migrated.
 */
function candidatesFromIam(context: Context): Candidate[] {
  const { facts, findings } = context;
  const namespaces = facts.request.namespaces;
  const byServiceAccount = new Map<string, Candidate[]>();
  for (const role of facts.roles) {
    const key = roleKey(role.name);
    const trust = context.trustOf.get(key);
    if (!trust || trust.statements.length === 0) continue;
    const roleFields = { roleName: role.name, roleArn: role.arn };
    const leftToOwner = roleLeftToOwner(context, role);
    if (leftToOwner !== undefined) {
      findings.push(leftToOwner);
      continue;
    }
    const excluding = excludedBy(context, role);
    if (excluding !== undefined) {
      findings.push(notMigratableFinding(role, excluding));
      continue;
    }
    for (const subject of trust.subjects) {
      if (subject.namespace === undefined || subject.serviceAccount === undefined) {
        findings.push(unrecognisedSubject(role, subject.value));
        continue;
      }
      if (subject.wildcard) {
        findings.push({
          ...roleFields,
          kind: 'wildcard-subject',
          skipped: true,
          subject: subject.value,
          message: `role "${role.name}" trusts the wildcard subject "${subject.value}"; without the Kubernetes API the service accounts it covers are unknown, so none is migrated through it`,
        });
        continue;
      }
      if (!inNamespaces(namespaces, subject.namespace)) continue;
      const ref = { namespace: subject.namespace, serviceAccount: subject.serviceAccount };
      const saKey = keyOf(ref.namespace, ref.serviceAccount);
      const list = byServiceAccount.get(saKey) ?? [];
      if (!list.some((candidate) => roleKey(candidate.role.name) === key)) {
        list.push({ ...ref, role, coverage: { kind: 'subject', value: irsaSubjectValue(ref) } });
      }
      byServiceAccount.set(saKey, list);
    }
    if (trust.statements.some((statement) => statement.clusterWide)) {
      findings.push({
        ...roleFields,
        kind: 'cluster-wide-trust',
        skipped: true,
        message: `role "${role.name}" trusts every service account of this cluster (a statement without a :sub condition); without the Kubernetes API the service accounts using it are unknown, so none is migrated through it`,
      });
    }
  }
  const candidates: Candidate[] = [];
  for (const [saKey, list] of byServiceAccount) {
    const [only, ...others] = list;
    if (only && others.length === 0) {
      candidates.push(only);
      continue;
    }
    const [namespace, serviceAccount] = saKey.split('/');
    findings.push({
      kind: 'ambiguous-subject',
      skipped: true,
      namespace,
      serviceAccount,
      message: `service account "${saKey}" is trusted by roles ${list.map((candidate) => `"${candidate.role.name}"`).join(', ')}; without its ${ROLE_ARN_ANNOTATION} annotation the role it uses is unknown, so it is not migrated`,
    });
  }
  return candidates;
}

// --- associations and assembly -----------------------------------------------------------------

function withoutAssociationConflicts(
  context: Context,
  candidates: readonly Candidate[],
): Accepted[] {
  const existing = new Map(
    context.facts.associations.map((association) => [
      keyOf(association.namespace, association.serviceAccount),
      association,
    ]),
  );
  const accepted: Accepted[] = [];
  for (const candidate of candidates) {
    const association = existing.get(keyOf(candidate.namespace, candidate.serviceAccount));
    if (!association) {
      accepted.push({ ...candidate, association: 'create' });
    } else if (namesSameRole(association.roleArn, candidate.role.arn)) {
      accepted.push({ ...candidate, association: 'exists' });
    } else {
      const owner = association.ownerArn ? ` (owned by ${association.ownerArn})` : '';
      context.findings.push({
        kind: 'association-conflict',
        skipped: true,
        namespace: candidate.namespace,
        serviceAccount: candidate.serviceAccount,
        roleName: candidate.role.name,
        roleArn: candidate.role.arn,
        message: `service account ${quoted(candidate.namespace, candidate.serviceAccount)} already has a pod identity association with role ${association.roleArn}${owner}, not with "${candidate.role.name}"; not migrated (conflict)`,
      });
    }
  }
  return accepted;
}

function trustDecision(role: RoleFact, quota: number): Pick<PlannedRole, 'trust' | 'trustSize'> {
  const current = policySize(role.trustPolicy);
  const edit = addPodIdentityTrust(role.trustPolicy);
  const withPodIdentity = policySize(edit.document);
  const trust: TrustAction = !edit.changed
    ? 'present'
    : fitsQuota(edit.document, quota)
      ? 'add'
      : 'too-large';
  return { trust, trustSize: { current, withPodIdentity, quota } };
}

function assemble(context: Context, accepted: readonly Accepted[]): MigrationPlan {
  const { facts, findings } = context;
  const podsBySa = new Map<string, string[]>();
  for (const pod of facts.kubernetes?.pods ?? []) {
    const key = keyOf(pod.namespace, pod.serviceAccount);
    podsBySa.set(key, [...(podsBySa.get(key) ?? []), pod.name]);
  }
  const byRole = new Map<string, Accepted[]>();
  for (const candidate of accepted) {
    const key = roleKey(candidate.role.name);
    byRole.set(key, [...(byRole.get(key) ?? []), candidate]);
  }
  const roles: PlannedRole[] = [];
  const serviceAccounts: PlannedServiceAccount[] = [];
  for (const key of [...byRole.keys()].sort()) {
    const members = (byRole.get(key) ?? []).sort(
      (a, b) =>
        a.namespace.localeCompare(b.namespace) || a.serviceAccount.localeCompare(b.serviceAccount),
    );
    const [first] = members;
    if (!first) continue;
    const role = first.role;
    const stack = context.stackByRole.get(key);
    const stackName = stack?.stackName;
    if (stack !== undefined && !stack.updatable) {
      findings.push({
        kind: 'stack-drift',
        skipped: false,
        roleName: role.name,
        roleArn: role.arn,
        stackName,
        message: `role "${role.name}" is owned by CloudFormation stack "${stackName}", which this service may not update; allowStackDrift lets its trust policy be changed outside the stack, and the next update of the stack reverts that`,
      });
    }
    if (role.path !== '/') {
      findings.push({
        kind: 'role-path',
        skipped: false,
        roleName: role.name,
        roleArn: role.arn,
        message: `role "${role.name}" has the IAM path ${role.path}; its associations use the full ARN ${role.arn}`,
      });
    }
    const roleIndex = roles.length;
    roles.push({
      name: role.name,
      arn: role.arn,
      ...(stackName !== undefined ? { stackName } : {}),
      ...(stack?.updatable
        ? { throughStack: true, stackTagPending: stack.podIdentityTagged !== true }
        : {}),
      ...trustDecision(role, facts.assumeRolePolicySizeQuota),
      firstServiceAccount: serviceAccounts.length,
      serviceAccountCount: members.length,
    });
    for (const member of members) {
      const pods = facts.kubernetes?.pods
        ? (podsBySa.get(keyOf(member.namespace, member.serviceAccount)) ?? []).sort()
        : undefined;
      serviceAccounts.push({
        namespace: member.namespace,
        serviceAccount: member.serviceAccount,
        roleIndex,
        ...(member.annotation ? { annotation: member.annotation } : {}),
        coverage: member.coverage,
        association: member.association,
        ...(pods ? { pods } : {}),
      });
    }
  }
  const warnings = [...facts.warnings];
  if (!facts.kubernetes) {
    warnings.push(
      'service accounts were discovered from IAM trust policies alone: annotations, service accounts annotated with roles of other accounts, ' +
        'and the service accounts behind wildcard subjects could not be checked',
    );
  }
  return {
    clusterName: facts.request.clusterName,
    region: facts.request.region,
    providerArn: facts.provider.arn,
    account: facts.provider.account,
    approve: facts.request.approve,
    removeOidcProviderTrustRelationship: facts.request.removeOidcProviderTrustRelationship,
    allowStackDrift: facts.request.allowStackDrift,
    namespaces: [...facts.request.namespaces],
    discovery: {
      requested: facts.request.discovery,
      used: facts.kubernetes ? 'kubernetes' : 'iam',
    },
    agentInstalled: facts.agentInstalled,
    assumeRolePolicySizeQuota: facts.assumeRolePolicySizeQuota,
    batches: migrationBatches(roles),
    roles,
    serviceAccounts,
    findings: sortFindings(findings),
    warnings,
  };
}

function sortFindings(findings: readonly Finding[]): Finding[] {
  const text = (finding: Finding) =>
    `${finding.namespace ?? ''}/${finding.serviceAccount ?? ''} ${finding.roleName ?? ''} ${finding.subject ?? ''} ${finding.kind}`;
  return [...findings].sort((a, b) => text(a).localeCompare(text(b)));
}

// --- reading the plan --------------------------------------------------------------------------

export function pendingSteps(plan: MigrationPlan, index: number): PendingSteps {
  const sa = plan.serviceAccounts[index];
  const role = sa ? plan.roles[sa.roleIndex] : undefined;
  if (!sa || !role)
    return { trust: false, association: false, annotation: false, oidcTrust: false };
  const removal = plan.removeOidcProviderTrustRelationship;
  const steps: PendingSteps = {
    trust: role.trust === 'add' || (role.trust === 'present' && role.stackTagPending === true),
    association: sa.association === 'create',
    // Without Kubernetes discovery the annotation is unknown, so it is checked (and removed if there).
    annotation: removal && (sa.annotation !== undefined || plan.discovery.used === 'iam'),
    oidcTrust: removal && sa.coverage.kind === 'subject',
  };
  if (role.trust === 'too-large') {
    steps.blocked = trustTooLargeReason(role.name, role.trustSize);
  }
  return steps;
}

export function hasPendingStep(steps: PendingSteps): boolean {
  return steps.trust || steps.association || steps.annotation || steps.oidcTrust;
}

export function trustTooLargeReason(
  roleName: string,
  size: { current: number; withPodIdentity: number; quota: number },
): string {
  return (
    `the trust policy of role "${roleName}" would be ${size.withPodIdentity} characters with the pods.eks.amazonaws.com statement ` +
    `(${size.current} now), over this account's AssumeRolePolicySizeQuota of ${size.quota}; remove statements it no longer needs ` +
    '(for example OIDC trust of deleted clusters) or ask AWS to raise the quota, then run again'
  );
}

/**
 * Packs consecutive roles into batches of at most `batchSize` roles and `batchSize` service
 * accounts, in order; a role with more service accounts than that is a batch of its own, since its trust
 * must not be written by two iterations at once.
 */
export function migrationBatches(
  roles: readonly PlannedRole[],
  batchSize = batchSizeFor(roles),
): MigrationBatch[] {
  const batches: MigrationBatch[] = [];
  let current: MigrationBatch | undefined;
  for (const [roleIndex, role] of roles.entries()) {
    const fits =
      current !== undefined &&
      current.roleCount < batchSize &&
      current.serviceAccountCount + role.serviceAccountCount <= batchSize;
    if (current && fits) {
      current.roleCount += 1;
      current.serviceAccountCount += role.serviceAccountCount;
      continue;
    }
    current = {
      firstRole: roleIndex,
      roleCount: 1,
      firstServiceAccount: role.firstServiceAccount,
      serviceAccountCount: role.serviceAccountCount,
    };
    batches.push(current);
  }
  return batches;
}

/**
 * What one batch's tasks read from the run store: the plan's settings with only that batch's
 * roles and service accounts. Reading the whole plan in every task would make the run's reads
 * grow with the square of its size.
 */
export interface MigrationBatchDocument {
  settings: Omit<
    MigrationPlan,
    'batches' | 'roles' | 'serviceAccounts' | 'findings' | 'warnings' | 'addons'
  >;
  batch: number;
  entry: MigrationBatch;
  roles: PlannedRole[];
  serviceAccounts: PlannedServiceAccount[];
}

export function batchDocument(plan: MigrationPlan, batch: number): MigrationBatchDocument {
  const {
    batches,
    roles,
    serviceAccounts,
    findings: _findings,
    warnings: _warnings,
    addons: _addons,
    ...settings
  } = plan;
  const entry = batches[batch];
  if (!entry) throw new RangeError(`the plan has no batch ${batch} (it has ${batches.length})`);
  return {
    settings,
    batch,
    entry,
    roles: roles.slice(entry.firstRole, entry.firstRole + entry.roleCount),
    serviceAccounts: serviceAccounts.slice(
      entry.firstServiceAccount,
      entry.firstServiceAccount + entry.serviceAccountCount,
    ),
  };
}

/**
 * The plan as one batch sees it: its roles and service accounts at their indexes in the whole
 * plan (so outcomes name them as the report does), every other index empty, as it is for an
 * index the plan does not have.
 */
export function planOfBatch(document: MigrationBatchDocument): MigrationPlan {
  const roles: PlannedRole[] = [];
  const serviceAccounts: PlannedServiceAccount[] = [];
  const batches: MigrationBatch[] = [];
  document.roles.forEach((role, offset) => {
    roles[document.entry.firstRole + offset] = role;
  });
  document.serviceAccounts.forEach((sa, offset) => {
    serviceAccounts[document.entry.firstServiceAccount + offset] = sa;
  });
  batches[document.batch] = document.entry;
  return { ...document.settings, batches, roles, serviceAccounts, findings: [], warnings: [] };
}

/** BATCH_SIZE, or what keeps the plan within MAX_BATCHES iterations, up to MAX_BATCH_SIZE. */
export function batchSizeFor(roles: readonly PlannedRole[]): number {
  const serviceAccounts = roles.reduce((sum, role) => sum + role.serviceAccountCount, 0);
  const items = Math.max(roles.length, serviceAccounts);
  return Math.min(MAX_BATCH_SIZE, Math.max(BATCH_SIZE, Math.ceil(items / MAX_BATCHES)));
}

function indexRange(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, offset) => first + offset);
}

/** The role indexes of batch `batch`; none for a batch the plan does not have. */
export function batchRoles(plan: Pick<MigrationPlan, 'batches'>, batch: number): number[] {
  const entry = plan.batches[batch];
  return entry ? indexRange(entry.firstRole, entry.roleCount) : [];
}

/** The service account indexes of batch `batch`; none for a batch the plan does not have. */
export function batchServiceAccounts(
  plan: Pick<MigrationPlan, 'batches'>,
  batch: number,
): number[] {
  const entry = plan.batches[batch];
  return entry ? indexRange(entry.firstServiceAccount, entry.serviceAccountCount) : [];
}

/** The service account indexes of a role. */
export function serviceAccountsOf(role: PlannedRole): number[] {
  return indexRange(role.firstServiceAccount, role.serviceAccountCount);
}

export function describeServiceAccount(
  sa: Pick<PlannedServiceAccount, 'namespace' | 'serviceAccount'>,
): string {
  return keyOf(sa.namespace, sa.serviceAccount);
}

/** The add-on the plan installs before creating associations, when it is missing. */
export function agentToInstall(plan: MigrationPlan): string | undefined {
  const creates = plan.serviceAccounts.some((_, index) => {
    const steps = pendingSteps(plan, index);
    return steps.association && steps.blocked === undefined;
  });
  const migratesAddons = addonsToMigrate(plan.addons).length > 0;
  return (creates || migratesAddons) && !plan.agentInstalled ? POD_IDENTITY_AGENT : undefined;
}
