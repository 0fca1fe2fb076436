/**
 * The decision for one association against live state: what to create, change or delete, said
 * so precisely that the executor runs it without deciding anything again, plus the reason and
 * eksctl-style step descriptions a dry run shows.
 *
 * Semantics are eksctl's (create/update/delete of `podidentityassociation`) with its known bugs
 * fixed: a create that meets an existing association is a conflict reported before any role is
 * made (no orphaned role), an update that names no permissions never strips an owned role, a
 * missing association on delete is a warning, roles are deleted only when this service created
 * them, and service accounts only when this service created them (never one that existed: it is
 * not relabelled either) or when eksctl did (its `managed-by: eksctl` label, eksctl's rule).
 * `apply` is declarative and `prune` only ever deletes associations this service created for the
 * cluster.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseRoleArn } from '../arn.ts';
import { globMatches } from '../glob.ts';
import {
  isOwnedBy,
  MANAGED_BY_LABEL,
  OWNERSHIP_TAG_KEYS,
  ownedAssociationOf,
  ownershipTags,
  SERVICE_ACCOUNT_CREATED_TAG,
} from '../naming.ts';
import {
  actionPatternCovers,
  equivalentPolicyDocuments,
  type PolicyDocument,
  type PolicyStatement,
  statementsMissingFrom,
  statementsOf,
  toArray,
  withStatements,
} from '../policy-document.ts';
import { describeTrustStatement } from '../trust-policy.ts';
import type { DesiredAssociation, DesiredInlinePolicy, ManagedRole } from './desired.ts';
import {
  type ExistingAssociation,
  type ExistingRole,
  type ExistingServiceAccount,
  sameRoleArn,
} from './existing.ts';

export type ItemOperation = 'create' | 'update' | 'delete' | 'apply' | 'prune';
export type ItemAction =
  | 'create'
  | 'update'
  | 'delete'
  | 'unchanged'
  | 'conflict'
  | 'refused'
  | 'missing';
export type ItemResultKind = 'created' | 'updated' | 'deleted' | 'unchanged' | 'skipped' | 'failed';

interface LiveState {
  clusterName: string;
  existing?: ExistingAssociation | undefined;
  /**
   * The role `roleNameToInspect` names, when it exists; its policies only when
   * `decisionReadsRolePolicies` says the decision reads them. For a dry run, also the role
   * `roleToCreate` names, when it exists: a run does not read that one (see `roleToCreate`).
   */
  role?: ExistingRole | undefined;
  /** Another association of the cluster uses the role (`roleUsedElsewhere`). */
  roleInUseElsewhere?: boolean | undefined;
  /**
   * eksctl's CloudFormation stack for this association's role (`eksctl-<cluster>-podidentityrole-
   * <ns>-<sa>`, or an iamserviceaccount stack the migration tagged for pod identity), when it
   * exists. eksctl created that role: update may not swap it, delete removes the stack with it.
   */
  eksctlStack?: EksctlStackState | undefined;
  /**
   * The service account when it exists. Look it up whenever `needsKubernetes` says so: left out,
   * it counts as missing (created when asked for, never deleted).
   */
  serviceAccount?: ExistingServiceAccount | undefined;
}

/**
 * eksctl's role stack of the association, as found by its name; for a delete, with what decides
 * whether the delete may remove it: whether its tags show it is this association's (another's
 * may have the same name), and whether another association uses its own role.
 */
export interface EksctlStackState {
  stackName: string;
  /** Delete: why the stack's tags do not show it is this association's (eksctlRoleStackNotOwned). */
  notOwned?: string | undefined;
  /** Delete: the role ARN the stack names (its `Role1` output). */
  roleArn?: string | undefined;
  /**
   * Delete: whether an association other than this one uses the stack's role (`roleArn`), read
   * whether this association still exists or not; left out when it could not be told.
   */
  roleInUseElsewhere?: boolean | undefined;
}

/** One config entry against live state, or (prune) an association the config no longer lists. */
export type ItemState =
  | (LiveState & {
      operation: 'create' | 'update' | 'delete' | 'apply';
      desired: DesiredAssociation;
    })
  | (LiveState & { operation: 'prune'; existing: ExistingAssociation });

/** Association fields to send to UpdatePodIdentityAssociation; an empty string removes a value. */
export interface AssociationFieldChanges {
  roleArn?: string;
  targetRoleArn?: string;
  disableSessionTags?: boolean;
  policy?: string;
}

/** The input of CreatePodIdentityAssociation beyond cluster, namespace and service account. */
export interface NewAssociation {
  roleArn: string;
  targetRoleArn?: string;
  disableSessionTags?: boolean;
  policy?: string;
  /** The user's tags plus the ownership tags that let prune recognise it later. */
  tags: Record<string, string>;
}

/** Edits that bring an existing role this service owns to the desired state. */
export interface RoleChanges {
  attach: string[];
  detach: string[];
  /** Inline policies that are missing or differ, written whole. */
  putInline: DesiredInlinePolicy[];
  /** Every inline policy the desired role does not list, whoever added it. */
  deleteInline: string[];
  boundary?: { set: string } | { remove: true } | undefined;
  /** The desired trust, written whole, when the role's says anything else. */
  trust?: TrustReset | undefined;
  /** Tags to add or overwrite. Tags are never removed: cost-allocation and other tools add their own. */
  tags: Record<string, string>;
}

/** The trust eks-pia writes for the role, and what that changes, for the steps. */
export interface TrustReset {
  document: PolicyDocument;
  /** Statements of the new trust the role's lacks (its pods.eks.amazonaws.com statement). */
  adds: PolicyStatement[];
  /** Statements of the role's trust the new one does not have. */
  removes: PolicyStatement[];
}

/**
 * What to carry out, in this order: create or reconcile the role, create the service account,
 * create or update the association; for removals: delete the service account (while the
 * association still records who created it), then the role, then the association (last, so an
 * interrupted removal leaves it for the rerun to find).
 */
export interface ItemChanges {
  createRole?: ManagedRole | undefined;
  role?: RoleChanges | undefined;
  createAssociation?: NewAssociation | undefined;
  /** Only the fields that differ. */
  association?: AssociationFieldChanges | undefined;
  deleteAssociation: boolean;
  deleteRole: boolean;
  /**
   * eksctl's stack of the association's role, deleted with the association (as eksctl does). The
   * stack is deleted first, by prepare-association-batch (the one task with CloudFormation
   * access), and before the association all the same: the step here only reports what it did.
   */
  deleteStack?: string | undefined;
  /** Create the namespace and the service account, which is missing (never relabel one that exists). */
  createServiceAccount: boolean;
  deleteServiceAccount: boolean;
}

export interface ItemDecision {
  namespace: string;
  serviceAccount: string;
  action: ItemAction;
  /** The result once the changes are carried out without error. */
  result: ItemResultKind;
  reason: string;
  warnings: string[];
  /** eksctl-style task descriptions of every change, in order; empty when nothing changes. */
  steps: string[];
  associationId?: string | undefined;
  /** The role that `createRole`, `role` or `deleteRole` act on. */
  roleName?: string | undefined;
  /** The association's role once the changes are made. */
  roleArn?: string | undefined;
  changes: ItemChanges;
}

/** The `app.kubernetes.io/managed-by` value of service accounts eksctl creates. */
export const EKSCTL_MANAGER = 'eksctl';
const EKS_PIA_FIELDS =
  'namespace, serviceAccountName, roleARN, targetRoleARN, disableSessionTags and policy';
const ROLE_ARN_OWNED =
  'cannot change podIdentityAssociation.roleARN since the role was created by eks-pia';
const ROLE_ARN_REQUIRED =
  'podIdentityAssociation.roleARN is required since the role was not created by eks-pia';
const SESSION_POLICY_RULE = '--disable-session-tags must be set to true when using --policy';

// ---------------------------------------------------------------------------------------------
// Small helpers

function idOf(namespace: string, serviceAccount: string): string {
  return `${namespace}/${serviceAccount}`;
}

function noChanges(): ItemChanges {
  return {
    deleteAssociation: false,
    deleteRole: false,
    createServiceAccount: false,
    deleteServiceAccount: false,
  };
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/** Session policies compared as JSON values, so EKS re-serialising one is not a change. */
export function sessionPoliciesEqual(a: string | undefined, b: string | undefined): boolean {
  const left = blankToUndefined(a);
  const right = blankToUndefined(b);
  if (left === undefined || right === undefined) return left === right;
  try {
    return isDeepStrictEqual(JSON.parse(left), JSON.parse(right));
  } catch {
    return left === right;
  }
}

/** Who the service account's `app.kubernetes.io/managed-by` label names as its manager. */
function managerOf(serviceAccount: ExistingServiceAccount | undefined): string | undefined {
  return serviceAccount?.labels[MANAGED_BY_LABEL.key];
}

/**
 * A service account is only ever created, never taken over: one that exists keeps its labels,
 * whoever made it (Helm, GitOps, eksctl, a person).
 */
function serviceAccountToEnsure(
  desired: DesiredAssociation,
  serviceAccount: ExistingServiceAccount | undefined,
): boolean {
  return desired.createServiceAccount && serviceAccount === undefined;
}

/**
 * Whether the association about to be created records the service account as eks-pia's: it is
 * created now, or an earlier interrupted run created it (it carries eks-pia's label).
 */
function serviceAccountIsOurs(
  desired: DesiredAssociation,
  serviceAccount: ExistingServiceAccount | undefined,
): boolean {
  return (
    desired.createServiceAccount &&
    (serviceAccount === undefined || managerOf(serviceAccount) === MANAGED_BY_LABEL.value)
  );
}

function existingServiceAccountWarning(
  desired: DesiredAssociation,
  serviceAccount: ExistingServiceAccount | undefined,
): string[] {
  if (!desired.createServiceAccount || serviceAccountIsOurs(desired, serviceAccount)) return [];
  const id = idOf(desired.namespace, desired.serviceAccount);
  const manager = managerOf(serviceAccount);
  if (manager === EKSCTL_MANAGER) {
    return [
      `service account "${id}" already exists and is labelled ${MANAGED_BY_LABEL.key}: ${EKSCTL_MANAGER}; it is used as it is and, as with eksctl, deleting the association deletes it`,
    ];
  }
  return [
    `service account "${id}" already exists${manager === undefined ? '' : ` (managed by ${manager})`} and was not created by eks-pia; it is used as it is, never relabelled, and eks-pia will never delete it`,
  ];
}

/**
 * Whether deleting this association may delete its service account: eks-pia created it (its
 * label, plus the mark on an association eks-pia created for it), or eksctl did (its label;
 * eksctl deletes the service accounts it labels).
 */
function serviceAccountToDelete(
  existing: ExistingAssociation,
  serviceAccount: ExistingServiceAccount | undefined,
  clusterName: string,
): { delete: boolean; warning?: string } {
  const manager = managerOf(serviceAccount);
  if (manager === EKSCTL_MANAGER) return { delete: true };
  if (manager !== MANAGED_BY_LABEL.value) return { delete: false };
  if (
    createdByEksPia(existing, clusterName) &&
    existing.tags[SERVICE_ACCOUNT_CREATED_TAG] === 'true'
  ) {
    return { delete: true };
  }
  return {
    delete: false,
    warning: `service account "${idOf(existing.namespace, existing.serviceAccount)}" is labelled ${MANAGED_BY_LABEL.key}: ${MANAGED_BY_LABEL.value}, but its association does not record that eks-pia created it (tag ${SERVICE_ACCOUNT_CREATED_TAG}); it was kept`,
  };
}

function serviceAccountStep(id: string): string {
  return `create service account "${id}", if it does not already exist`;
}

/** Whether the association's role ARN names the role this entry would create (same name and path). */
function namesManagedRole(spec: ManagedRole, roleArn: string): boolean {
  const parts = parseRoleArn(roleArn);
  return parts !== undefined && parts.name === spec.roleName && parts.path === spec.path;
}

/** Whether this service created the association, for this cluster (its ownership tags). */
export function createdByEksPia(association: ExistingAssociation, clusterName: string): boolean {
  const owner = ownedAssociationOf(association.tags);
  return (
    owner !== undefined &&
    owner.cluster === clusterName &&
    owner.namespace === association.namespace &&
    owner.serviceAccount === association.serviceAccount
  );
}

function userTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const ownership = new Set<string>([
    ...Object.values(OWNERSHIP_TAG_KEYS),
    SERVICE_ACCOUNT_CREATED_TAG,
  ]);
  return Object.fromEntries(Object.entries(tags).filter(([key]) => !ownership.has(key)));
}

// ---------------------------------------------------------------------------------------------
// Role reconcile

/**
 * The edits that make an existing (owned) role match the desired one. A role eks-pia created is
 * wholly eks-pia's, so everything but its tags is declarative: a policy or trust statement added
 * by hand would grant what no config declares, and a check that kept it would call the role in
 * sync. What only denies stays (inline policies of Deny statements alone, Deny statements of the
 * trust): it can only take access away. Never call it for a role eks-pia did not create.
 */
export function roleChanges(desired: ManagedRole, existing: ExistingRole): RoleChanges {
  const existingInline = new Map(
    existing.inlinePolicies.map((policy) => [policy.name, policy.document]),
  );
  const desiredInline = new Set(desired.inlinePolicies.map((policy) => policy.name));
  const changes: RoleChanges = {
    attach: desired.managedPolicyArns.filter((arn) => !existing.attachedPolicyArns.includes(arn)),
    detach: existing.attachedPolicyArns.filter((arn) => !desired.managedPolicyArns.includes(arn)),
    putInline: desired.inlinePolicies.filter((policy) => {
      const current = existingInline.get(policy.name);
      return current === undefined || !isDeepStrictEqual(current, policy.document);
    }),
    deleteInline: existing.inlinePolicies
      .filter((policy) => !desiredInline.has(policy.name) && !onlyDenies(policy.document))
      .map((policy) => policy.name),
    tags: Object.fromEntries(
      Object.entries(desired.tags).filter(([key, value]) => existing.tags[key] !== value),
    ),
  };
  if (desired.permissionsBoundaryArn !== existing.permissionsBoundaryArn) {
    changes.boundary =
      desired.permissionsBoundaryArn === undefined
        ? { remove: true }
        : { set: desired.permissionsBoundaryArn };
  }
  const trust = withStatements(desired.trust, [
    ...statementsOf(desired.trust),
    ...statementsOf(existing.trustPolicy).filter((statement) => statement.Effect === 'Deny'),
  ]);
  if (!equivalentPolicyDocuments(existing.trustPolicy, trust)) {
    changes.trust = {
      document: trust,
      adds: statementsMissingFrom(trust, existing.trustPolicy),
      removes: statementsMissingFrom(existing.trustPolicy, trust),
    };
  }
  return changes;
}

/**
 * A document that only denies can only take access away: one put on a role by hand (an incident
 * responder locking it) is kept, as are Deny statements added to its trust, so that no apply or
 * heal silently gives access back.
 */
function onlyDenies(document: PolicyDocument): boolean {
  const statements = statementsOf(document);
  return statements.length > 0 && statements.every((statement) => statement.Effect === 'Deny');
}

/** Whether a reconcile has anything to do. */
export function hasRoleChanges(changes: RoleChanges): boolean {
  return (
    changes.attach.length > 0 ||
    changes.detach.length > 0 ||
    changes.putInline.length > 0 ||
    changes.deleteInline.length > 0 ||
    changes.boundary !== undefined ||
    changes.trust !== undefined ||
    Object.keys(changes.tags).length > 0
  );
}

/** One eksctl-style line per role edit. */
export function roleChangeSteps(roleName: string, changes: RoleChanges): string[] {
  const role = `IAM role "${roleName}"`;
  const steps = [
    ...(changes.trust === undefined ? [] : trustResetSteps(role, changes.trust)),
    ...changes.attach.map((arn) => `attach policy ${arn} to ${role}`),
    ...changes.detach.map((arn) => `detach policy ${arn} from ${role}`),
    ...changes.putInline.map((policy) => `put inline policy ${policy.name} on ${role}`),
    ...changes.deleteInline.map((name) => `delete inline policy ${name} from ${role}`),
  ];
  if (changes.boundary !== undefined) {
    steps.push(
      'set' in changes.boundary
        ? `set permissions boundary ${changes.boundary.set} on ${role}`
        : `remove the permissions boundary of ${role}`,
    );
  }
  const tags = Object.entries(changes.tags);
  if (tags.length > 0)
    steps.push(`tag ${role} with ${tags.map(([key, value]) => `${key}=${value}`).join(', ')}`);
  return steps;
}

function trustResetSteps(role: string, reset: TrustReset): string[] {
  const steps = [
    ...reset.adds.map((statement) => `add ${describeTrustStatement(statement)} to ${role}`),
    ...reset.removes.map((statement) => `remove ${describeTrustStatement(statement)} from ${role}`),
  ];
  // The statements match and the document still differs: only its policy language version can.
  return steps.length > 0
    ? steps
    : [`rewrite the trust policy of ${role} in policy language version ${reset.document.Version}`];
}

/**
 * A created role with a target role needs `sts:AssumeRole` on it; eksctl adds nothing. The
 * inline policies are checked here; managed ones cannot be read before the run, hence "unless".
 */
function targetRoleWarning(spec: ManagedRole, targetRoleArn: string | undefined): string[] {
  if (targetRoleArn === undefined || targetRoleArn === '') return [];
  const granted = spec.inlinePolicies.some((policy) =>
    statementsOf(policy.document).some(
      (statement) =>
        statement.Effect === 'Allow' &&
        toArray(statement.Action).some((pattern) =>
          actionPatternCovers(pattern, 'sts:AssumeRole'),
        ) &&
        toArray(statement.Resource).some((resource) => globMatches(resource, targetRoleArn)),
    ),
  );
  if (granted) return [];
  return [
    `IAM role "${spec.roleName}" has no inline statement allowing sts:AssumeRole and sts:TagSession on the target role ${targetRoleArn}; unless one of its managed policies allows it, add such a statement to permissionPolicy, since EKS assumes the target role with this role's credentials`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Association fields

/**
 * The fields that differ. `given` (update): only fields the entry sets are compared, as eksctl
 * sends only those. `declarative` (create/apply): a field left out means its default, so an
 * absent `disableSessionTags` equals false and an absent target role or policy is removed.
 */
function fieldChanges(
  desired: DesiredAssociation,
  existing: ExistingAssociation,
  mode: 'given' | 'declarative',
): AssociationFieldChanges {
  const changes: AssociationFieldChanges = {};
  const compare = (value: unknown): boolean => mode === 'declarative' || value !== undefined;
  if (compare(desired.targetRoleArn)) {
    const wanted = desired.targetRoleArn ?? '';
    if (wanted !== (existing.targetRoleArn ?? '')) changes.targetRoleArn = wanted;
  }
  if (compare(desired.disableSessionTags)) {
    const wanted = desired.disableSessionTags ?? false;
    if (wanted !== (existing.disableSessionTags ?? false)) changes.disableSessionTags = wanted;
  }
  if (compare(desired.policy) && !sessionPoliciesEqual(desired.policy, existing.policy)) {
    changes.policy = desired.policy ?? '';
  }
  return changes;
}

function describeFieldChanges(changes: AssociationFieldChanges): string {
  const parts: string[] = [];
  if (changes.roleArn !== undefined) parts.push(`roleArn → ${changes.roleArn}`);
  if (changes.targetRoleArn !== undefined) {
    parts.push(
      changes.targetRoleArn === ''
        ? 'targetRoleArn removed'
        : `targetRoleArn → ${changes.targetRoleArn}`,
    );
  }
  if (changes.disableSessionTags !== undefined)
    parts.push(`disableSessionTags → ${changes.disableSessionTags}`);
  if (changes.policy !== undefined)
    parts.push(changes.policy === '' ? 'policy removed' : 'policy → new session policy');
  return parts.join(', ');
}

function newAssociation(
  desired: DesiredAssociation,
  roleArn: string,
  clusterName: string,
  serviceAccountCreated: boolean,
): NewAssociation {
  const created: NewAssociation = {
    roleArn,
    tags: {
      ...desired.tags,
      ...ownershipTags(clusterName, desired.namespace, desired.serviceAccount),
      ...(serviceAccountCreated ? { [SERVICE_ACCOUNT_CREATED_TAG]: 'true' } : {}),
    },
  };
  const target = blankToUndefined(desired.targetRoleArn);
  if (target !== undefined) created.targetRoleArn = target;
  if (desired.disableSessionTags !== undefined)
    created.disableSessionTags = desired.disableSessionTags;
  const policy = blankToUndefined(desired.policy);
  if (policy !== undefined) created.policy = policy;
  return created;
}

// ---------------------------------------------------------------------------------------------
// Decisions

interface Base {
  namespace: string;
  serviceAccount: string;
  associationId?: string | undefined;
}

function finalDecision(
  base: Base,
  action: ItemAction,
  result: ItemResultKind,
  reason: string,
  extra: Partial<
    Omit<ItemDecision, 'namespace' | 'serviceAccount' | 'action' | 'result' | 'reason'>
  > = {},
): ItemDecision {
  return {
    ...base,
    action,
    result,
    reason,
    warnings: extra.warnings ?? [],
    steps: extra.steps ?? [],
    roleName: extra.roleName,
    roleArn: extra.roleArn,
    associationId: extra.associationId ?? base.associationId,
    changes: extra.changes ?? noChanges(),
  };
}

function refusal(
  base: Base,
  reason: string,
  action: 'refused' | 'conflict' = 'refused',
  warnings: string[] = [],
): ItemDecision {
  return finalDecision(base, action, 'failed', reason, { warnings });
}

function addonOwned(
  base: Base,
  verb: 'update' | 'delete' | 'create',
  ownerArn: string,
): ItemDecision {
  const id = idOf(base.namespace, base.serviceAccount);
  if (verb === 'delete') {
    return refusal(
      base,
      `cannot delete podidentityassociation ${id} as it is in use by addon ${ownerArn}; change the add-on's podIdentityAssociations instead (\`eks-pia update addon -f config.yaml\` with the add-on under addons:, or \`aws eks update-addon --pod-identity-associations\`), or delete the add-on (\`aws eks delete-addon\`)`,
    );
  }
  if (verb === 'create') {
    return refusal(
      base,
      `pod identity association for service account "${id}" already exists and is in use by addon ${ownerArn}; change it through the add-on instead (\`eks-pia update addon -f config.yaml\` with the add-on's podIdentityAssociations under addons:)`,
      'conflict',
    );
  }
  return refusal(
    base,
    `cannot update podidentityassociation ${id} as it is in use by addon ${ownerArn}; change the add-on's podIdentityAssociations instead (\`eks-pia update addon -f config.yaml\` with the add-on under addons:, or \`aws eks update-addon --pod-identity-associations\`)`,
  );
}

/**
 * Create (or apply) an association that does not exist yet. Without `state.role` (a run never
 * reads the role it is about to create: see `roleToCreate`) the role is created, and CreateRole
 * adopts a role of that name that eks-pia made for this association, or fails the item on one
 * that it did not; a dry run passes the role it found, so it reports which of these will happen.
 */
function decideAbsent(state: Extract<ItemState, { desired: DesiredAssociation }>): ItemDecision {
  const { desired, clusterName } = state;
  const id = idOf(desired.namespace, desired.serviceAccount);
  const base: Base = { namespace: desired.namespace, serviceAccount: desired.serviceAccount };
  const changes = noChanges();
  const steps: string[] = [];
  const warnings: string[] = [];
  let roleArn: string;
  let roleName: string | undefined;
  let reason = `pod identity association for service account "${id}" does not exist; it will be created`;

  const source = desired.role;
  if (source.kind === 'unspecified') {
    return refusal(
      base,
      `at least one of the following must be specified: ${['roleARN', 'permissionPolicy', 'permissionPolicyARNs', 'wellKnownPolicies'].map((field) => `${desired.path}.${field}`).join(', ')}`,
    );
  }
  if (source.kind === 'existing') {
    roleArn = source.roleArn;
    reason += ` with role ${roleArn}`;
  } else {
    const spec = source.role;
    roleName = spec.roleName;
    warnings.push(...targetRoleWarning(spec, desired.targetRoleArn));
    if (state.role === undefined) {
      changes.createRole = spec;
      roleArn = spec.arn;
      steps.push(
        `create IAM role "${spec.roleName}" for pod identity association for service account "${id}"`,
      );
      reason += ` with a new IAM role ${spec.arn}`;
    } else if (isOwnedBy(state.role.tags, clusterName, desired.namespace, desired.serviceAccount)) {
      roleArn = state.role.arn;
      const reconcile = roleChanges(spec, state.role);
      if (hasRoleChanges(reconcile)) {
        changes.role = reconcile;
        steps.push(...roleChangeSteps(spec.roleName, reconcile));
      }
      reason += ` with IAM role ${roleArn}, which eks-pia created for it in an earlier run`;
    } else {
      return refusal(
        base,
        `IAM role "${spec.roleName}" already exists and was not created by eks-pia for service account "${id}" in cluster ${clusterName}; choose another roleName, or set roleARN to use that role as it is`,
        'conflict',
        warnings,
      );
    }
  }
  if (serviceAccountToEnsure(desired, state.serviceAccount)) {
    changes.createServiceAccount = true;
    steps.push(serviceAccountStep(id));
  }
  warnings.push(...existingServiceAccountWarning(desired, state.serviceAccount));
  changes.createAssociation = newAssociation(
    desired,
    roleArn,
    clusterName,
    serviceAccountIsOurs(desired, state.serviceAccount),
  );
  steps.push(`create pod identity association for service account "${id}"`);
  return finalDecision(base, 'create', 'created', reason, {
    changes,
    steps,
    warnings,
    roleName,
    roleArn,
  });
}

/**
 * eksctl's rule for an association whose role eksctl created (its pod identity role stack): the
 * role may not be swapped, and its permissions change only through eksctl's stack. Undefined
 * when the entry asks for neither.
 */
function eksctlOwnedRefusal(
  source: DesiredAssociation['role'],
  currentRoleArn: string,
  stackName: string,
  id: string,
): string | undefined {
  if (source.kind === 'existing' && !sameRoleArn(source.roleArn, currentRoleArn)) {
    return `cannot change podIdentityAssociation.roleARN since the role was created by eksctl (CloudFormation stack "${stackName}")`;
  }
  if (source.kind === 'managed') {
    return `the role of pod identity association "${id}" was created by eksctl (CloudFormation stack "${stackName}"); change its permissions with \`eksctl update podidentityassociation\`, or give only ${EKS_PIA_FIELDS} here`;
  }
  return undefined;
}

/** `create` against an association that exists: equal is done, anything else is a conflict. */
function decideCreate(state: Extract<ItemState, { desired: DesiredAssociation }>): ItemDecision {
  const { desired, existing } = state;
  if (existing === undefined) return decideAbsent(state);
  const id = idOf(desired.namespace, desired.serviceAccount);
  const base: Base = {
    namespace: desired.namespace,
    serviceAccount: desired.serviceAccount,
    associationId: existing.associationId,
  };
  if (existing.ownerArn) return addonOwned(base, 'create', existing.ownerArn);

  const source = desired.role;
  const sameRole =
    source.kind === 'existing'
      ? sameRoleArn(existing.roleArn, source.roleArn)
      : source.kind === 'managed' &&
        (sameRoleArn(existing.roleArn, source.role.arn) ||
          namesManagedRole(source.role, existing.roleArn));
  const differing = Object.keys(fieldChanges(desired, existing, 'declarative'));
  if (!sameRole) differing.unshift('roleArn');
  if (differing.length > 0) {
    return refusal(
      base,
      `pod identity association for service account "${id}" already exists with role ${existing.roleArn} and differs from the request in ${differing.join(', ')}; use update or apply to change it, or delete it first`,
      'conflict',
    );
  }

  const warnings: string[] = [];
  if (source.kind === 'managed' && state.role !== undefined) {
    const drift = roleChanges(source.role, state.role);
    if (hasRoleChanges(drift)) {
      warnings.push(
        `IAM role "${state.role.name}" differs from the request (${roleChangeSteps(state.role.name, drift).join('; ')}); create leaves it as it is, run apply or update to reconcile it`,
      );
    }
  }
  if (serviceAccountToEnsure(desired, state.serviceAccount)) {
    const changes = { ...noChanges(), createServiceAccount: true };
    return finalDecision(
      base,
      'update',
      'updated',
      `pod identity association "${id}" already exists as requested; only the service account is missing`,
      {
        changes,
        steps: [serviceAccountStep(id)],
        warnings: [
          ...warnings,
          `the association of "${id}" was created before its service account, so it does not record that eks-pia created the service account: deleting the association will keep it`,
        ],
        roleArn: existing.roleArn,
      },
    );
  }
  return finalDecision(
    base,
    'unchanged',
    'unchanged',
    `pod identity association "${id}" already exists as requested`,
    {
      warnings,
      roleArn: existing.roleArn,
    },
  );
}

/** `update`, and `apply` of an association that exists. */
function decideChange(
  state: Extract<ItemState, { desired: DesiredAssociation }>,
  mode: 'update' | 'apply',
): ItemDecision {
  const { desired, clusterName, role } = state;
  const id = idOf(desired.namespace, desired.serviceAccount);
  const existing = state.existing;
  if (existing === undefined) {
    return finalDecision(
      { namespace: desired.namespace, serviceAccount: desired.serviceAccount },
      'missing',
      'failed',
      `error updating pod identity association "${id}": pod identity association does not exist; create it first, or check namespace and serviceAccountName`,
    );
  }
  const base: Base = {
    namespace: desired.namespace,
    serviceAccount: desired.serviceAccount,
    associationId: existing.associationId,
  };
  if (existing.ownerArn) return addonOwned(base, 'update', existing.ownerArn);
  // eksctl's update wraps every reason it refuses an entry with the entry (spec §4).
  const refuse = (reason: string) =>
    refusal(
      base,
      mode === 'update' ? `error updating pod identity association "${id}": ${reason}` : reason,
    );

  const owned =
    role !== undefined &&
    isOwnedBy(role.tags, clusterName, desired.namespace, desired.serviceAccount);
  const eksctlStack = state.eksctlStack?.stackName;
  const changes = noChanges();
  const steps: string[] = [];
  const warnings: string[] = [];
  const association: AssociationFieldChanges = {};
  let roleName: string | undefined;

  const source = desired.role;
  if (eksctlStack !== undefined && !owned) {
    const refused = eksctlOwnedRefusal(source, existing.roleArn, eksctlStack, id);
    if (refused) return refuse(refused);
  } else if (source.kind === 'existing') {
    if (!sameRoleArn(source.roleArn, existing.roleArn)) {
      if (owned) return refuse(ROLE_ARN_OWNED);
      association.roleArn = source.roleArn;
    }
  } else if (source.kind === 'managed') {
    const spec = source.role;
    roleName = spec.roleName;
    if (role === undefined && namesManagedRole(spec, existing.roleArn)) {
      changes.createRole = spec;
      steps.push(
        `create IAM role "${spec.roleName}" for pod identity association for service account "${id}"`,
      );
      warnings.push(
        `IAM role "${spec.roleName}" used by the association no longer exists; it will be created again`,
      );
    } else if (owned) {
      if (
        source.requestedRoleArn !== undefined &&
        !sameRoleArn(source.requestedRoleArn, existing.roleArn)
      ) {
        return refuse(ROLE_ARN_OWNED);
      }
      if (spec.roleNameGiven && role.name !== spec.roleName) {
        return refuse(
          `cannot change podIdentityAssociation.roleName from "${role.name}" to "${spec.roleName}": IAM roles cannot be renamed; delete the association and create it again to use another role name`,
        );
      }
      const reconcile = roleChanges(spec, role);
      if (hasRoleChanges(reconcile)) {
        changes.role = reconcile;
        steps.push(...roleChangeSteps(role.name, reconcile));
      }
      roleName = role.name;
    } else if (source.requestedRoleArn === undefined) {
      return refuse(
        mode === 'update'
          ? ROLE_ARN_REQUIRED
          : `${ROLE_ARN_REQUIRED}: pod identity association "${id}" already uses role ${existing.roleArn}; set roleARN to that role (and drop the permission fields), or delete the association so eks-pia can create one`,
      );
    } else {
      return refuse(
        `only ${EKS_PIA_FIELDS} can be specified if the role was not created by eks-pia; remove permissionPolicy, permissionPolicyARNs and wellKnownPolicies from ${desired.path}`,
      );
    }
  } else if (!owned && eksctlStack === undefined) {
    return refuse(ROLE_ARN_REQUIRED);
  }

  Object.assign(
    association,
    fieldChanges(desired, existing, mode === 'apply' ? 'declarative' : 'given'),
  );
  const sessionTagsOff = association.disableSessionTags ?? existing.disableSessionTags ?? false;
  const policyAfter = association.policy ?? existing.policy;
  if (blankToUndefined(policyAfter) !== undefined && !sessionTagsOff) {
    return refuse(
      `${SESSION_POLICY_RULE}: after this change pod identity association "${id}" would keep a session policy with session tags on; set disableSessionTags: true (--disable-session-tags), or remove the policy with policy: "" (--policy "")`,
    );
  }
  if (Object.keys(association).length > 0) {
    changes.association = association;
    steps.push(`update pod identity association "${id}": ${describeFieldChanges(association)}`);
  }
  if (mode === 'apply' && serviceAccountToEnsure(desired, state.serviceAccount)) {
    changes.createServiceAccount = true;
    steps.push(serviceAccountStep(id));
  }
  if (
    Object.keys(desired.tags).length > 0 &&
    !isDeepStrictEqual(desired.tags, userTags(existing.tags))
  ) {
    warnings.push(
      `tags of pod identity association "${id}" were left as they are: tags are set only when an association is created`,
    );
  }

  const roleArn = association.roleArn ?? existing.roleArn;
  if (steps.length === 0) {
    return finalDecision(
      base,
      'unchanged',
      'unchanged',
      `pod identity association "${id}" is already up-to-date`,
      {
        warnings,
        roleName,
        roleArn,
      },
    );
  }
  if (source.kind === 'managed') {
    const target =
      mode === 'apply' ? desired.targetRoleArn : (desired.targetRoleArn ?? existing.targetRoleArn);
    warnings.push(...targetRoleWarning(source.role, target));
  }
  return finalDecision(
    base,
    'update',
    'updated',
    `pod identity association "${id}" differs from the request; it will be updated`,
    {
      changes,
      steps,
      warnings,
      roleName,
      roleArn,
    },
  );
}

/**
 * What a removal does with the association's role: deletes the role eks-pia created for it, or
 * (delete only, as eksctl's delete does) eksctl's role stack, unless another association uses the
 * role (`kept` says so); otherwise the role is not this removal's. eksctl's stack is deleted only
 * when its tags show it is this association's and no other association uses the stack's own role
 * (an association that is already gone, after an interrupted delete, does not stop it). The
 * caller has refused an association an add-on owns. prepare-association-batch deletes the stack
 * by this same rule before apply-association-batch decides the rest of the item (see ItemChanges).
 */
export function roleRemoval(
  state: Pick<LiveState, 'clusterName' | 'roleInUseElsewhere' | 'eksctlStack'> & {
    operation: ItemOperation;
    role?: Pick<ExistingRole, 'name' | 'tags'> | undefined;
  },
  namespace: string,
  serviceAccount: string,
):
  | { kind: 'role'; roleName: string }
  | { kind: 'stack'; stackName: string }
  | { kind: 'none'; kept?: string | undefined } {
  const id = idOf(namespace, serviceAccount);
  const { role } = state;
  if (role !== undefined && isOwnedBy(role.tags, state.clusterName, namespace, serviceAccount)) {
    if (state.roleInUseElsewhere !== true) return { kind: 'role', roleName: role.name };
    return {
      kind: 'none',
      kept: `IAM role "${role.name}" was created by eks-pia for "${id}" but other pod identity associations still use it; it was kept`,
    };
  }
  if (state.eksctlStack !== undefined && state.operation === 'delete') {
    const { stackName, notOwned, roleArn, roleInUseElsewhere } = state.eksctlStack;
    if (notOwned !== undefined) {
      return {
        kind: 'none',
        kept: `CloudFormation stack "${stackName}" was kept, with its IAM role: ${notOwned}`,
      };
    }
    if (roleInUseElsewhere === false) return { kind: 'stack', stackName };
    if (roleInUseElsewhere === true) {
      return {
        kind: 'none',
        kept: `IAM role ${roleArn ?? ''} of CloudFormation stack "${stackName}" (created by eksctl for "${id}") is used by other pod identity associations; the stack was kept`,
      };
    }
    return {
      kind: 'none',
      kept: `CloudFormation stack "${stackName}" (created by eksctl for "${id}") was kept: ${roleArn === undefined ? 'it has no Role1 output naming its IAM role, so' : `as for its IAM role ${roleArn},`} whether other pod identity associations use that role could not be told`,
    };
  }
  return { kind: 'none' };
}

/** `delete`, and `prune` of an association this service created. */
function decideRemoval(
  state: ItemState,
  namespace: string,
  serviceAccount: string,
  existing: ExistingAssociation | undefined,
): ItemDecision {
  const id = idOf(namespace, serviceAccount);
  const base: Base = { namespace, serviceAccount, associationId: existing?.associationId };
  if (existing?.ownerArn) return addonOwned(base, 'delete', existing.ownerArn);

  // Order: the service account while the association still records who created it, then the
  // role, then the association last. Whatever interrupts the delete, the association is still
  // there for the rerun (or a prune) to find and finish, so nothing is left that nothing owns.
  const changes = noChanges();
  const steps: string[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];
  if (existing !== undefined) {
    const serviceAccount = serviceAccountToDelete(
      existing,
      state.serviceAccount,
      state.clusterName,
    );
    if (serviceAccount.warning !== undefined) warnings.push(serviceAccount.warning);
    if (serviceAccount.delete) {
      changes.deleteServiceAccount = true;
      steps.push(
        `delete service account "${id}", if it exists and was created by ${managerOf(state.serviceAccount)}`,
      );
    }
  } else {
    warnings.push(`pod identity association "${id}" not found`);
  }

  let roleName: string | undefined;
  const removal = roleRemoval(state, namespace, serviceAccount);
  if (removal.kind === 'role') {
    changes.deleteRole = true;
    roleName = removal.roleName;
    steps.push(`delete IAM role "${removal.roleName}", created by eks-pia for "${id}"`);
  } else if (removal.kind === 'stack') {
    changes.deleteStack = removal.stackName;
    steps.push(
      `delete IAM resources stack "${removal.stackName}" for pod identity association "${id}"`,
    );
  } else if (removal.kept !== undefined) {
    warnings.push(removal.kept);
  } else if (existing !== undefined) {
    notes.push(`its role ${existing.roleArn} was not created by eks-pia for it and stays`);
  }
  if (existing !== undefined) {
    changes.deleteAssociation = true;
    steps.push(`delete pod identity association "${id}"`);
  }

  if (steps.length === 0) {
    return finalDecision(
      base,
      'missing',
      'skipped',
      `pod identity association "${id}" not found; nothing to delete`,
      {
        warnings,
      },
    );
  }
  const what =
    existing === undefined
      ? 'it is already gone, but what eks-pia created for it will be removed'
      : 'it will be deleted';
  const reason = [`pod identity association "${id}": ${what}`, ...notes].join('; ');
  return finalDecision(base, 'delete', 'deleted', reason, {
    changes,
    steps,
    warnings,
    roleName,
    roleArn: existing?.roleArn,
  });
}

/**
 * The decision for one item. Total over operation × live state: every combination gives an
 * action, never an exception, so one bad item is reported while the others run.
 *
 * | operation | association | decision |
 * |---|---|---|
 * | create | absent | create (role first when managed; an existing role is reused only if eks-pia owns it for this association, else conflict) |
 * | create | equal | unchanged (service account ensured when asked for) |
 * | create | different, or add-on owned | conflict, naming the existing role |
 * | update | absent | missing (failed) |
 * | update | add-on owned | refused, eksctl's message |
 * | update | owned role | roleARN may not change; permissions reconciled only when the entry carries them |
 * | update | role not owned | roleARN required; permission fields refused |
 * | apply | absent / present | as create / as update, with absent fields meaning their defaults |
 * | delete | absent | missing (skipped, warning), leftovers eks-pia owns still removed |
 * | delete | present | delete; role only if owned and unused elsewhere; SA only if eks-pia created it (label + association mark) or eksctl did (label) |
 * | prune | created by eks-pia for this cluster | as delete; anything else is left alone |
 */
export function decideItem(state: ItemState): ItemDecision {
  switch (state.operation) {
    case 'create':
      return decideCreate(state);
    case 'update':
      return decideChange(state, 'update');
    case 'apply':
      return state.existing === undefined ? decideAbsent(state) : decideChange(state, 'apply');
    case 'delete':
      return decideRemoval(
        state,
        state.desired.namespace,
        state.desired.serviceAccount,
        state.existing,
      );
    case 'prune': {
      const { existing } = state;
      if (existing.ownerArn || !createdByEksPia(existing, state.clusterName)) {
        return finalDecision(
          {
            namespace: existing.namespace,
            serviceAccount: existing.serviceAccount,
            associationId: existing.associationId,
          },
          'unchanged',
          'unchanged',
          `pod identity association "${idOf(existing.namespace, existing.serviceAccount)}" was not created by eks-pia for cluster ${state.clusterName}; prune leaves it alone`,
        );
      }
      return decideRemoval(state, existing.namespace, existing.serviceAccount, existing);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// What to look up before deciding

interface RoleLookupInput {
  operation: ItemOperation;
  desired?: DesiredAssociation | undefined;
  existing?: ExistingAssociation | undefined;
}

/**
 * The role whose state the decision needs: the one the association uses, unless the entry names
 * that very role by roleARN (create, update and apply then decide the same whatever the role:
 * they neither reconcile nor swap it); else, for a delete, the role the entry would have had
 * eks-pia create (to clean up after an interrupted run). Undefined when no role matters: a
 * create naming an existing role, an update of an association that does not exist, and the role
 * a create is about to make (see {@link roleToCreate}).
 */
export function roleNameToInspect(input: RoleLookupInput): string | undefined {
  const { desired, existing } = input;
  if (existing !== undefined) {
    const removal = input.operation === 'delete' || input.operation === 'prune';
    if (
      !removal &&
      desired?.role.kind === 'existing' &&
      sameRoleArn(desired.role.roleArn, existing.roleArn)
    ) {
      return undefined;
    }
    return parseRoleArn(existing.roleArn)?.name;
  }
  if (desired === undefined || input.operation !== 'delete') return undefined;
  return desired.role.kind === 'managed' ? desired.role.role.roleName : desired.managedRoleName;
}

/**
 * The role a create or apply of an association that does not exist would make. A run does not
 * read it first: for a new role that read is a 404 per entry, and CreateRole tells the rest
 * (EntityAlreadyExists: the role is adopted and reconciled when its ownership tags say eks-pia
 * made it for this association, as an interrupted run leaves it; the item fails otherwise). A
 * dry run creates nothing, so to say which of these will happen it reads the roles of this name
 * that plan-associations found in the account (`BatchDocument.rolesFound`).
 */
export function roleToCreate(input: RoleLookupInput): string | undefined {
  if (input.existing !== undefined) return undefined;
  if (input.operation !== 'create' && input.operation !== 'apply') return undefined;
  return input.desired?.role.kind === 'managed' ? input.desired.role.role.roleName : undefined;
}

/**
 * Whether the item needs the cluster's Kubernetes API: to create the service account, or (delete,
 * prune of an association that exists) to see whether eks-pia or eksctl created the service
 * account and so may delete it. A delete of an association that does not exist has no
 * Kubernetes work: the service account is only ever deleted together with its association.
 */
export function needsKubernetes(
  operation: ItemOperation,
  desired: DesiredAssociation | undefined,
  associationExists: boolean,
): boolean {
  if (operation === 'delete' || operation === 'prune') return associationExists;
  if (operation === 'update') return false;
  return desired?.createServiceAccount === true;
}

/**
 * Whether an association other than `self` uses the role. Names are compared without regard to
 * case, as IAM does: when unsure, a role is kept rather than deleted from under someone.
 */
export function roleUsedElsewhere(
  roleArn: string,
  associations: readonly Pick<ExistingAssociation, 'namespace' | 'serviceAccount' | 'roleArn'>[],
  self: { namespace: string; serviceAccount: string },
): boolean {
  const name = roleUsageKey(roleArn);
  return associations.some(
    (association) =>
      !(
        association.namespace === self.namespace &&
        association.serviceAccount === self.serviceAccount
      ) && roleUsageKey(association.roleArn) === name,
  );
}

/**
 * Whether {@link decideItem} looks at the policies of the role {@link roleNameToInspect} names:
 * only to reconcile (or, for create, report the drift of) a role eks-pia manages for an entry that
 * asks for one. Otherwise the role's GetRole (tags, trust, boundary) is all it judges, and its
 * policies need not be listed; they may then be left empty in {@link LiveState.role}.
 */
export function decisionReadsRolePolicies(
  operation: ItemOperation,
  desired: DesiredAssociation | undefined,
): boolean {
  return operation !== 'delete' && operation !== 'prune' && desired?.role.kind === 'managed';
}

/**
 * Whether eksctl's role stack of the association can change {@link decideItem}'s decision, so
 * that it must be looked up before deciding (a lookup is two CloudFormation reads, one per name
 * eksctl may have given the stack). A delete's decision always reads it: the stack may go with the
 * association. An update or apply of an association that exists reads it only when the
 * association's role is not one eks-pia created for it and the entry names another role, or none
 * (eksctl's stack is then what refuses the swap, or lets the association keep its role); an entry
 * that names the role the association has, the rerun of a config, is decided alike with or without
 * it. Create and prune never read it. `roleOf` reads the role {@link roleNameToInspect} names, and
 * is called only when the answer hangs on it.
 */
export async function decisionReadsEksctlStack(
  state: {
    operation: ItemOperation;
    clusterName: string;
    desired?: DesiredAssociation | undefined;
    existing?: ExistingAssociation | undefined;
  },
  roleOf: () => Promise<Pick<ExistingRole, 'tags'> | undefined>,
): Promise<boolean> {
  const { operation, desired, existing } = state;
  if (operation === 'delete') return true;
  if (operation !== 'update' && operation !== 'apply') return false;
  // No association to change, or an add-on's, which is refused before any stack is looked at.
  if (desired === undefined || existing === undefined || existing.ownerArn) return false;
  const source = desired.role;
  if (source.kind === 'existing' && sameRoleArn(source.roleArn, existing.roleArn)) return false;
  const role = await roleOf();
  return (
    role === undefined ||
    !isOwnedBy(role.tags, state.clusterName, desired.namespace, desired.serviceAccount)
  );
}

/** How {@link roleUsedElsewhere} tells roles apart: by name, without regard to case, as IAM does. */
export function roleUsageKey(roleArn: string): string {
  return (parseRoleArn(roleArn)?.name ?? roleArn).toLowerCase();
}

/**
 * The associations `apply` with `prune` may delete: created by eks-pia for this cluster, not
 * owned by an add-on, and no longer listed in the config.
 */
export function pruneCandidates(
  associations: readonly ExistingAssociation[],
  desired: readonly DesiredAssociation[],
  clusterName: string,
): ExistingAssociation[] {
  const listed = new Set(desired.map((entry) => idOf(entry.namespace, entry.serviceAccount)));
  return associations.filter(
    (association) =>
      !association.ownerArn &&
      createdByEksPia(association, clusterName) &&
      !listed.has(idOf(association.namespace, association.serviceAccount)),
  );
}
