/**
 * One validated eksctl association entry turned into what this service will hold it to: the
 * role it names, or the full description of the role to create (name, path, trust, policies,
 * boundary, tags), and the association's own fields.
 *
 * Everything a later step needs is decided here once (role names, inline policy names,
 * well-known expansion in the cluster's partition, the enforced boundary), so the plan and the
 * executor never re-derive it and a guardrail check sees exactly what would be created.
 */
import {
  type ConfigIssue,
  ConfigValidationError,
  carriesPermissions,
  hasPermissionPolicy,
  iamTagCharacterProblems,
  type PodIdentityAssociationConfig,
  reservedTagKeyProblems,
  WELL_KNOWN_POLICY_NAMES,
} from '../config/index.ts';
import {
  inlinePolicyName,
  NamingError,
  OWNERSHIP_TAG_KEYS,
  ownershipTags,
  permissionPolicyInlineName,
  ROLE_PATH,
  roleNameFor,
} from '../naming.ts';
import {
  type PolicyDocument,
  PolicyDocumentError,
  parsePolicyDocument,
  policySize,
} from '../policy-document.ts';
import { podIdentityTrustStatement } from '../trust-policy.ts';
import { expandWellKnownPolicies, type Partition } from '../well-known-policies.ts';

export interface DesiredInlinePolicy {
  /** The full IAM name, always `eks-pia-...`, so a reconcile can tell ours from others'. */
  name: string;
  document: PolicyDocument;
}

/** A role this service creates and keeps reconciled for one association. */
export interface ManagedRole {
  roleName: string;
  /** The entry set `roleName` itself; only then does a different name on update mean a rename. */
  roleNameGiven: boolean;
  path: string;
  arn: string;
  trust: PolicyDocument;
  /** The entry's `permissionPolicyARNs` in order, then the well-known managed policies; no repeats. */
  managedPolicyArns: string[];
  /** `permissionPolicy` first, then the well-known inline policies in eksctl's order. */
  inlinePolicies: DesiredInlinePolicy[];
  /** The boundary the role gets: the enforced one when the guardrails set one, else the entry's. */
  permissionsBoundaryArn?: string | undefined;
  /** What the entry asked for, kept so a guardrail can report a conflict with the enforced one. */
  requestedPermissionsBoundaryArn?: string | undefined;
  /** Cluster tags, then the entry's tags, then the ownership tags (which always win). */
  tags: Record<string, string>;
  /**
   * Where each policy came from in the input (managed ARN or inline name → path such as
   * `iam.podIdentityAssociations[2].wellKnownPolicies.autoScaler`), so a violation points at
   * the line to fix.
   */
  origins: Record<string, string>;
}

/**
 * Where the association's role comes from:
 * - `existing`: the entry names a role (`roleARN`) and carries no permissions; it is used as is.
 * - `managed`: the entry carries permissions (`permissionPolicy`, `permissionPolicyARNs`,
 *   `wellKnownPolicies`); the role is created or reconciled. On update the entry may also name
 *   the role (`requestedRoleArn`), which must then be the one already in use.
 * - `unspecified`: an update entry with neither; the association keeps its role untouched. This
 *   is what stops an update carrying only cross-account fields from stripping an owned role.
 */
export type RoleSource =
  | { kind: 'existing'; roleArn: string }
  | { kind: 'managed'; role: ManagedRole; requestedRoleArn?: string | undefined }
  | { kind: 'unspecified' };

export interface DesiredAssociation {
  /** Where the entry is in the input: `iam.podIdentityAssociations[0]`, or `association` for flags. */
  path: string;
  namespace: string;
  serviceAccount: string;
  role: RoleSource;
  /** The name a role created for this association has or would have; used to find leftovers on delete. */
  managedRoleName: string;
  /** Left out means "not set"; an empty string asks for removal on update (eksctl forwards it too). */
  targetRoleArn?: string | undefined;
  disableSessionTags?: boolean | undefined;
  /** Session policy as JSON text. */
  policy?: string | undefined;
  /** The user's association tags; the ownership tags are added when the association is created. */
  tags: Record<string, string>;
  createServiceAccount: boolean;
  /** Fields the entry set that have no effect here, with why; reported as warnings. */
  ignored: string[];
}

export interface DesiredContext {
  clusterName: string;
  partition: Partition;
  /** The account roles are created in (STS GetCallerIdentity at run time); it names their ARNs. */
  account: string;
  enforcedPermissionsBoundaryArn?: string | undefined;
  /** `metadata.tags`: eksctl puts them on every stack it creates, and so on the role. */
  clusterTags?: Readonly<Record<string, string>> | undefined;
  /** Path of the entry in the input; `association` when left out. */
  path?: string | undefined;
}

export const POLICY_VERSION = '2012-10-17';
/** IAM's `RolePolicySizeQuota`: all inline policies of one role together, whitespace not counted. */
export const MAX_INLINE_POLICIES_SIZE = 10_240;
/** IAM's limit on tags per role. */
export const MAX_TAGS_PER_ROLE = 50;

/** `arn:<partition>:iam::<account>:role/eks-pia/<name>`: where every created role lives. */
export function managedRoleArn(partition: Partition, account: string, roleName: string): string {
  return `arn:${partition}:iam::${account}:role${ROLE_PATH}${roleName}`;
}

/** The trust every created role starts with: the pods.eks.amazonaws.com statement, nothing else. */
export function managedRoleTrust(): PolicyDocument {
  return { Version: POLICY_VERSION, Statement: [podIdentityTrustStatement()] };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

interface ManagedParts {
  role: ManagedRole;
  issues: ConfigIssue[];
}

function buildManagedRole(
  entry: PodIdentityAssociationConfig,
  context: DesiredContext,
  path: string,
  roleName: string,
): ManagedParts {
  const issues: ConfigIssue[] = [];
  const origins: Record<string, string> = {};
  const managedPolicyArns: string[] = [];
  const addManaged = (arn: string, origin: string): void => {
    if (managedPolicyArns.includes(arn)) return;
    managedPolicyArns.push(arn);
    origins[arn] = origin;
  };
  entry.permissionPolicyARNs?.forEach((arn, index) => {
    addManaged(arn, `${path}.permissionPolicyARNs[${index}]`);
  });

  const inlinePolicies: DesiredInlinePolicy[] = [];
  const addInline = (name: string, document: PolicyDocument, origin: string): void => {
    const firstOrigin = origins[name];
    if (firstOrigin !== undefined) {
      issues.push({
        path: origin,
        message: `inline policy name "${name}" is also used by ${firstOrigin}; give ${path}.permissionPolicyName another value`,
      });
      return;
    }
    inlinePolicies.push({ name, document });
    origins[name] = origin;
  };

  if (hasPermissionPolicy(entry)) {
    const origin = `${path}.permissionPolicy`;
    try {
      addInline(
        permissionPolicyInlineName(entry.permissionPolicyName),
        parsePolicyDocument(entry.permissionPolicy),
        origin,
      );
    } catch (error) {
      if (!(error instanceof PolicyDocumentError || error instanceof NamingError)) throw error;
      const where = error instanceof NamingError ? `${path}.permissionPolicyName` : origin;
      issues.push({ path: where, message: error.message });
    }
  }

  for (const key of WELL_KNOWN_POLICY_NAMES) {
    if (entry.wellKnownPolicies?.[key] !== true) continue;
    const origin = `${path}.wellKnownPolicies.${key}`;
    const expansion = expandWellKnownPolicies({ [key]: true }, context.partition);
    for (const arn of expansion.managedPolicyArns) addManaged(arn, origin);
    for (const policy of expansion.inlinePolicies) {
      addInline(inlinePolicyName(policy.name), policy.document, origin);
    }
  }

  const inlineSize = inlinePolicies.reduce((sum, policy) => sum + policySize(policy.document), 0);
  if (inlineSize > MAX_INLINE_POLICIES_SIZE) {
    issues.push({
      path: hasPermissionPolicy(entry) ? `${path}.permissionPolicy` : `${path}.wellKnownPolicies`,
      message: `the role's inline policies would total ${inlineSize} characters (whitespace not counted), over IAM's limit of ${MAX_INLINE_POLICIES_SIZE} per role; move permissions into managed policies (permissionPolicyARNs) or grant less`,
    });
  }
  const tags = {
    ...context.clusterTags,
    ...entry.tags,
    ...ownershipTags(context.clusterName, entry.namespace, entry.serviceAccountName),
  };
  // The config's rules check these for an entry; here they hold for the roles of an add-on's
  // recommended associations too, built once EKS names them.
  const givenTags = { ...context.clusterTags, ...entry.tags };
  for (const message of [
    ...iamTagCharacterProblems(givenTags),
    ...reservedTagKeyProblems(Object.keys(givenTags)),
  ]) {
    issues.push({ path: `${path}.tags`, message });
  }
  // IAM takes tag keys without regard to case: two such keys refuse the whole CreateRole.
  const keysByCase = new Map<string, string[]>();
  for (const key of Object.keys(tags)) {
    keysByCase.set(key.toLowerCase(), [...(keysByCase.get(key.toLowerCase()) ?? []), key]);
  }
  for (const keys of keysByCase.values()) {
    // A clash with an ownership tag is the reserved key refused above.
    if (keys.length < 2 || reservedTagKeyProblems(keys).length > 0) continue;
    issues.push({
      path: `${path}.tags`,
      message: `the role would carry tags ${keys.map((key) => `"${key}"`).join(' and ')}, keys IAM takes as one (it ignores their case); keep one of them (metadata.tags, these tags and the ownership tags eks-pia adds all go on the role)`,
    });
  }
  const tagCount = Object.keys(tags).length;
  if (tagCount > MAX_TAGS_PER_ROLE) {
    issues.push({
      path: `${path}.tags`,
      message: `the role would carry ${tagCount} tags (metadata.tags, these tags and the ${Object.keys(OWNERSHIP_TAG_KEYS).length} ownership tags eks-pia adds), over IAM's limit of ${MAX_TAGS_PER_ROLE} per role; use fewer tags here or in metadata.tags`,
    });
  }
  const requestedBoundary = nonEmpty(entry.permissionsBoundaryARN);
  return {
    issues,
    role: {
      roleName,
      roleNameGiven: nonEmpty(entry.roleName) !== undefined,
      path: ROLE_PATH,
      arn: managedRoleArn(context.partition, context.account, roleName),
      trust: managedRoleTrust(),
      managedPolicyArns,
      inlinePolicies,
      permissionsBoundaryArn: context.enforcedPermissionsBoundaryArn ?? requestedBoundary,
      requestedPermissionsBoundaryArn: requestedBoundary,
      tags,
      origins,
    },
  };
}

/**
 * ARNs of another partition than the cluster's region: IAM and EKS answer them as if the role or
 * policy did not exist, after every retry, which hides the real mistake.
 */
function otherPartitionArns(
  entry: PodIdentityAssociationConfig,
  partition: Partition,
  path: string,
): ConfigIssue[] {
  const arns: [string, string | undefined][] = [
    ['roleARN', entry.roleARN],
    ['targetRoleARN', entry.targetRoleARN],
    ['permissionsBoundaryARN', entry.permissionsBoundaryARN],
    ...(entry.permissionPolicyARNs ?? []).map((arn, index): [string, string] => [
      `permissionPolicyARNs[${index}]`,
      arn,
    ]),
  ];
  return arns.flatMap(([field, arn]) => {
    const other = arn === undefined ? undefined : /^arn:([^:]+):/.exec(arn)?.[1];
    if (other === undefined || other === partition) return [];
    return [
      {
        path: `${path}.${field}`,
        message: `${JSON.stringify(arn)} is in partition ${other}, but the cluster's region is in partition ${partition}; only ARNs of arn:${partition}: can be used here`,
      },
    ];
  });
}

/** Role settings that mean nothing without permissions to build a role from. */
const ROLE_BUILDING_FIELDS = [
  'roleName',
  'permissionsBoundaryARN',
  'permissionPolicyName',
] as const;

/**
 * Normalises one entry that the config core has already validated for the operation
 * (`parseClusterConfig` / `validateAssociationInput`). Throws ConfigValidationError for what only
 * shows once the role is built: a `permissionPolicy` that is not an IAM policy document, an inline
 * policy name that clashes with a well-known policy's, or a name too long once prefixed.
 */
export function desiredFromConfig(
  entry: PodIdentityAssociationConfig,
  context: DesiredContext,
): DesiredAssociation {
  const path = context.path ?? 'association';
  const roleArn = nonEmpty(entry.roleARN);
  const managedRoleName =
    nonEmpty(entry.roleName) ??
    roleNameFor(context.clusterName, entry.namespace, entry.serviceAccountName);
  const ignored: string[] = [];
  let role: RoleSource;
  const partitionIssues = otherPartitionArns(entry, context.partition, path);

  if (carriesPermissions(entry)) {
    const built = buildManagedRole(entry, context, path, managedRoleName);
    const issues = [...partitionIssues, ...built.issues];
    if (issues.length > 0) {
      throw new ConfigValidationError('pod identity association', issues);
    }
    role = { kind: 'managed', role: built.role, requestedRoleArn: roleArn };
  } else {
    if (partitionIssues.length > 0) {
      throw new ConfigValidationError('pod identity association', partitionIssues);
    }
    role = roleArn === undefined ? { kind: 'unspecified' } : { kind: 'existing', roleArn };
    const why =
      roleArn === undefined
        ? 'it only takes effect together with permissionPolicy, permissionPolicyARNs or wellKnownPolicies'
        : `${path}.roleARN is set, so no role is created`;
    for (const field of ROLE_BUILDING_FIELDS) {
      if (nonEmpty(entry[field]) !== undefined) {
        ignored.push(`${path}.${field} is ignored: ${why}`);
      }
    }
  }

  return {
    path,
    namespace: entry.namespace,
    serviceAccount: entry.serviceAccountName,
    role,
    managedRoleName,
    targetRoleArn: entry.targetRoleARN,
    disableSessionTags: entry.disableSessionTags,
    policy: entry.policy,
    tags: { ...entry.tags },
    createServiceAccount: entry.createServiceAccount === true,
    ignored,
  };
}
