import type { Stack } from 'aws-cdk-lib';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  DEFAULT_ASSIGNABLE_ROLE_TAG,
  DEFAULT_GUARDRAILS,
  type RoleTag,
  roleTagFromText,
} from '../functions/core/associations/guardrails.ts';
import {
  APPLIED_CONFIG_DOCUMENT,
  CLUSTERS_PREFIX,
  DEFAULTS_PREFIX,
} from '../functions/core/bootstrap/config-files.ts';
import {
  CLUSTER_ADMIN_POLICY,
  EDIT_POLICY,
  VIEW_POLICY,
} from '../functions/core/cluster-access-policies.ts';
import { CHANGE_SET_PREFIX, EKSCTL_ROLE_STACK_PATTERNS } from '../functions/core/eksctl-stacks.ts';
import { MIGRATABLE_ROLES_ENV } from '../functions/core/migration/migratable.ts';
import { ROLE_PATH } from '../functions/core/naming.ts';
import { runDocumentKey } from '../functions/core/run-documents.ts';
import { EVENT_SOURCE, RUN_COMPLETED } from '../functions/core/run-events.ts';
import type { ConfigBucket } from './constructs/config-bucket.ts';
import { MissingTaskPermissionsError } from './errors.ts';
import { type GuardrailProps, guardrailsEnvironment } from './guardrails.ts';
import { wildcardResourceFinding } from './nag.ts';

/** A cdk-nag finding accepted on purpose, e.g. `AwsSolutions-IAM5[Resource::*]`, and why. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** The IAM a task's function gets beyond writing its own logs and traces. */
export interface TaskPermissions {
  /** Least-privilege statements; empty for a task that calls no AWS API. */
  readonly statements: readonly PolicyStatement[];
  /**
   * cdk-nag findings these statements raise (wildcards the API forces), each with the reason.
   *
   * @default none
   */
  readonly acknowledgements?: readonly Acknowledgement[];
  /**
   * Variables that tell the task what it was granted (`CONFIG_BUCKET`, `EVENT_BUS_NAME`) or the
   * deployment settings that bound what it may do (`GUARDRAILS`), set together with the grant.
   *
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/** What a permission set may depend on. ARNs are built in the stack's partition/region/account. */
export interface TaskPermissionContext {
  readonly stack: Stack;
  /** The task's own role, for permissions on itself (its identity, its access entries). */
  readonly role: IRole;
  readonly configBucket: ConfigBucket;
  /** The bus the run-completed events go to. */
  readonly eventBusName: string;
  /** The deployment's guardrails; `{}` when none is set. */
  readonly guardrails: GuardrailProps;
  /**
   * Roles whose trust the migration may edit and pass to EKS Pod Identity (ARN patterns).
   *
   * @default the guardrails' allowedRoleArnPatterns, else every role of the account
   */
  readonly migratableRoleArnPatterns?: readonly string[] | undefined;
}

export type TaskPermissionsProvider = (context: TaskPermissionContext) => TaskPermissions;

/** Permission sets keyed by task (kebab-case folder name under `functions/`). */
export type TaskPermissionsMap = Readonly<Record<string, TaskPermissionsProvider>>;

/** The service principal EKS Pod Identity assumes roles as; the only one tasks may pass roles to. */
const POD_IDENTITY_SERVICE = 'pods.eks.amazonaws.com';

/** Any cluster in the stack's account and region: the cluster comes from each execution's input. */
function anyCluster(stack: Stack): string {
  return stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: '*' });
}

/** Any add-on: its ARN is `addon/<cluster>/<add-on>/<id EKS generates>`. */
function anyAddon(stack: Stack): string {
  return stack.formatArn({ service: 'eks', resource: 'addon', resourceName: '*/*/*' });
}

/** Any association: its ARN is `podidentityassociation/<cluster>/<id EKS generates>`. */
function anyAssociation(stack: Stack): string {
  return stack.formatArn({
    service: 'eks',
    resource: 'podidentityassociation',
    resourceName: '*/*',
  });
}

/**
 * The task role's own access entries in any cluster: their ARN is
 * `access-entry/<cluster>/role/<account>/<role name>/<id EKS generates>`.
 */
function ownAccessEntries(stack: Stack, role: IRole): string {
  return stack.formatArn({
    service: 'eks',
    resource: 'access-entry',
    resourceName: `*/role/${stack.account}/${role.roleName}/*`,
  });
}

/** Any role of the account, whatever its path. */
function anyRole(stack: Stack): string {
  return stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' });
}

/** The roles this service creates: all of them, and only they, live under its IAM path. */
function managedRoles(stack: Stack): string {
  return stack.formatArn({
    service: 'iam',
    region: '',
    resource: 'role',
    resourceName: `${ROLE_PATH.slice(1)}*`,
  });
}

const CLUSTER_FROM_INPUT =
  'The cluster (and add-on) is named by each execution’s input; the service manages every ' +
  'cluster in its account and region, so the ARN cannot be narrowed at deploy time.';
const ASSOCIATION_IDS =
  'An association ARN ends with an ID EKS generates, for clusters named by each execution’s ' +
  'input; the wildcard covers pod identity associations only.';
const OWN_ACCESS_ENTRIES =
  'An access entry ARN names its cluster (from each execution’s input) and ends with an ID EKS ' +
  'generates; the pattern is fixed to entries for this function’s own role.';
const ROLES_FROM_CONFIG =
  'Accepts reading (GetRole: trust, tags, policies) any role of the account: a config names ' +
  'existing roles by ARN under any IAM path, and their tags decide whether they may be associated.';
const POLICIES_FROM_CONFIG =
  'Accepts reading (GetPolicy, GetPolicyVersion) any customer managed policy of the account, ' +
  'never writing one: a config names them by ARN in permissionPolicyARNs, and the guardrails ' +
  'refuse one whose document grants what they deny.';
const OPTED_IN_ROLES = (tag: RoleTag) =>
  `Accepts passing to pods.eks.amazonaws.com only, any role of the account whose owner tagged it ${tag.key}=${tag.value} (iam:ResourceTag condition): the opt-in that makes an existing role assignable.`;
const MIGRATABLE_TAGGED_ROLES =
  'Accepts editing the trust of (and passing to pods.eks.amazonaws.com) only roles eksctl ' +
  'created for IRSA or tagged by their owner as assignable (iam:ResourceTag conditions); the ' +
  'tasks also re-check that each role trusts the cluster’s OIDC provider for that service account.';
const ROLES_FROM_TRUST =
  'Discovery reads the trust policy of every role that trusts the cluster’s OIDC provider; ' +
  'those roles live under any name and path of the account. Reading only.';
const MANAGED_ROLE_NAMES =
  'Roles this service creates get generated names under its own IAM path (/eks-pia/); the ' +
  'wildcard covers that path only, so no other role can be written.';
const ALLOWED_ROLE_PATTERN =
  'A role ARN pattern the deployment’s guardrails allow (allowedRoleArnPatterns); roles matching ' +
  'it may only be passed to pods.eks.amazonaws.com.';
const RUN_DOCUMENT_KEYS =
  'Run documents are written under runs/<execution name>/, a name Step Functions generates for ' +
  'each run; the wildcard covers the runs/ prefix of the config bucket only.';
const CONFIG_KEYS =
  'People choose the names of the configs they upload; the wildcards cover only the trigger ' +
  'prefixes and configs/ of the config bucket, never runs/.';

const MIGRATABLE_ROLES =
  'Accepts editing the trust of (and passing to pods.eks.amazonaws.com) the roles matching the ' +
  'deployment’s migratableRoleArnPatterns (or allowedRoleArnPatterns): the IRSA roles it chose to migrate.';
const NO_RESOURCE_LEVEL = (actions: string) =>
  `${actions} support no resource-level permissions: IAM accepts only * for them.`;
const EKSCTL_STACKS =
  'eksctl names its role stacks after the cluster, namespace and service account, and change ' +
  'set names end in a timestamp; only those names of this account and region are allowed';
const ROLES_OF_EKSCTL_STACKS =
  'only through CloudFormation (aws:CalledVia), whose calls are limited to eksctl role stacks; ' +
  'the roles CloudFormation generated for them have names no pattern can predict';
const ANY_STACK =
  'Discovery finds eksctl’s iamserviceaccount stacks by their tags, which DescribeStacks reads ' +
  'only across all stacks; ListStackResources then reads the roles of the stacks found, whose ' +
  'names and IDs are not known before.';
const BOOTSTRAP_CONFIG_KEYS =
  'Platform teams choose the cluster names of the per-cluster files and the names of the ' +
  'defaults files; the wildcards cover only clusters/ and defaults/ of the config bucket.';
const BOOTSTRAP_CONFIG_DOCUMENTS =
  'The config a bootstrap run applies is its run document runs/<execution name>/' +
  'cluster-config.json, a name Step Functions generates; the wildcard covers that one document ' +
  'name under runs/.';

function eventBusArn({ stack, eventBusName }: TaskPermissionContext): string {
  return stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBusName });
}

/** PutEvents of the run-completed event only: on the one bus, with its source and detail type. */
function publishRunCompleted(context: TaskPermissionContext): TaskPermissions {
  return {
    statements: [
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [eventBusArn(context)],
        conditions: {
          StringEquals: { 'events:source': EVENT_SOURCE, 'events:detail-type': RUN_COMPLETED },
        },
      }),
    ],
    environment: { EVENT_BUS_NAME: context.eventBusName },
  };
}

/** Merges parts of a task's permissions; a finding acknowledged twice is kept once. */
function allOf(...parts: readonly TaskPermissions[]): TaskPermissions {
  const acknowledgements = new Map<string, Acknowledgement>();
  for (const part of parts) {
    for (const acknowledgement of part.acknowledgements ?? []) {
      acknowledgements.set(acknowledgement.id, acknowledgement);
    }
  }
  return {
    statements: parts.flatMap((part) => part.statements),
    acknowledgements: [...acknowledgements.values()],
    environment: Object.assign({}, ...parts.map((part) => part.environment ?? {})),
  };
}

/**
 * Run documents (functions/aws/run-store.ts) under `runs/`. Readers also get s3:ListBucket on the
 * bucket: without it S3 answers a missing document with AccessDenied instead of NoSuchKey, and
 * the run store could not report it as RunDocumentMissingError.
 */
function runDocuments(
  { stack, configBucket }: TaskPermissionContext,
  access: 'read' | 'write' | 'read-write',
): TaskPermissions {
  const documents = configBucket.objectsUnder(configBucket.runsPrefix);
  const actions = {
    read: ['s3:GetObject'],
    write: ['s3:PutObject'],
    'read-write': ['s3:GetObject', 's3:PutObject'],
  }[access];
  return {
    statements: [
      new PolicyStatement({ actions, resources: [documents] }),
      ...(access === 'write' ? [] : [listConfigBucket(configBucket)]),
    ],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, documents), reason: RUN_DOCUMENT_KEYS },
    ],
    environment: { CONFIG_BUCKET: configBucket.bucketName },
  };
}

function listConfigBucket(configBucket: ConfigBucket): PolicyStatement {
  return new PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [configBucket.bucket.bucketArn],
  });
}

/**
 * Uploaded configs (a trigger event names the exact version) and configs an input names under
 * `configs/`; never `runs/`.
 */
function configObjects({ stack, configBucket }: TaskPermissionContext): TaskPermissions {
  const configs = [...configBucket.triggerPrefixes, configBucket.configsPrefix].map((prefix) =>
    configBucket.objectsUnder(prefix),
  );
  return {
    statements: [
      new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: configs }),
    ],
    acknowledgements: configs.map((configKeys) => ({
      id: wildcardResourceFinding(stack, configKeys),
      reason: CONFIG_KEYS,
    })),
    environment: { CONFIG_BUCKET: configBucket.bucketName },
  };
}

/** The configs bootstrap runs found and stored for their nested associations runs. */
function bootstrapConfigDocuments({ stack, configBucket }: TaskPermissionContext): TaskPermissions {
  // The run document in which a bootstrap run hands the config it found to its nested
  // associations run (functions/bootstrap/find-cluster-config), in any run.
  const documents = configBucket.bucket.arnForObjects(runDocumentKey('*', APPLIED_CONFIG_DOCUMENT));
  return {
    statements: [new PolicyStatement({ actions: ['s3:GetObject'], resources: [documents] })],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, documents), reason: BOOTSTRAP_CONFIG_DOCUMENTS },
    ],
  };
}

/** The deployment's guardrails, for the task that checks requests against them. */
function guardrailSettings({ stack, guardrails }: TaskPermissionContext): TaskPermissions {
  return { statements: [], environment: guardrailsEnvironment(stack, guardrails) };
}

/**
 * GetRole on the task's own role: functions/aws/identity.ts turns the STS session ARN
 * (`assumed-role/<name>/<session>`) into the role's ARN, which carries the role's path.
 */
function ownIdentity({ role }: TaskPermissionContext): TaskPermissions {
  return {
    statements: [new PolicyStatement({ actions: ['iam:GetRole'], resources: [role.roleArn] })],
  };
}

/**
 * What functions/aws/access-entries.ts ensureAccessEntry does, for the task's own role only:
 * DescribeCluster (authentication mode), DescribeAccessEntry, CreateAccessEntry when missing,
 * ListAssociatedAccessPolicies, and AssociateAccessPolicy of the given access policies.
 */
function accessEntryForOwnRole(
  { stack, role }: TaskPermissionContext,
  accessPolicies: readonly string[],
): TaskPermissions {
  const entries = ownAccessEntries(stack, role);
  return {
    statements: [
      new PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [anyCluster(stack)] }),
      new PolicyStatement({
        actions: ['eks:CreateAccessEntry'],
        resources: [anyCluster(stack)],
        conditions: { StringEquals: { 'eks:principalArn': role.roleArn } },
      }),
      new PolicyStatement({
        actions: ['eks:DescribeAccessEntry', 'eks:ListAssociatedAccessPolicies'],
        resources: [entries],
      }),
      new PolicyStatement({
        actions: ['eks:AssociateAccessPolicy'],
        resources: [entries],
        conditions: { StringEquals: { 'eks:policyArn': [...accessPolicies] } },
      }),
    ],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, anyCluster(stack)), reason: CLUSTER_FROM_INPUT },
      { id: wildcardResourceFinding(stack, entries), reason: OWN_ACCESS_ENTRIES },
    ],
  };
}

/** ListPodIdentityAssociations (every page) and DescribePodIdentityAssociation. */
function readAssociations({ stack }: TaskPermissionContext): TaskPermissions {
  return {
    statements: [
      new PolicyStatement({
        actions: ['eks:ListPodIdentityAssociations'],
        resources: [anyCluster(stack)],
      }),
      new PolicyStatement({
        actions: ['eks:DescribePodIdentityAssociation'],
        resources: [anyAssociation(stack)],
      }),
    ],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, anyCluster(stack)), reason: CLUSTER_FROM_INPUT },
      { id: wildcardResourceFinding(stack, anyAssociation(stack)), reason: ASSOCIATION_IDS },
    ],
  };
}

/** GetRole of the existing roles a config names: their tags may opt them in to being associated. */
function readRoleTags({ stack }: TaskPermissionContext): TaskPermissions {
  return {
    statements: [new PolicyStatement({ actions: ['iam:GetRole'], resources: [anyRole(stack)] })],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, anyRole(stack)), reason: ROLES_FROM_CONFIG },
    ],
  };
}

/** The account's customer managed policies (AWS managed ones live in account `aws`). */
function customerPolicies(stack: Stack): string {
  return stack.formatArn({ service: 'iam', region: '', resource: 'policy', resourceName: '*' });
}

/**
 * GetPolicy and GetPolicyVersion of the account's customer managed policies
 * (functions/aws/iam.ts getPolicyDocument): the guardrails judge a policy a config attaches by
 * its document.
 */
function readCustomerPolicies({ stack }: TaskPermissionContext): TaskPermissions {
  const policies = customerPolicies(stack);
  return {
    statements: [
      new PolicyStatement({
        actions: ['iam:GetPolicy', 'iam:GetPolicyVersion'],
        resources: [policies],
      }),
    ],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, policies), reason: POLICIES_FROM_CONFIG },
    ],
  };
}

/**
 * What functions/aws/iam.ts getRoleState reads of a role: GetRole (trust, tags, boundary),
 * ListAttachedRolePolicies, ListRolePolicies and GetRolePolicy.
 */
function readRoles({ stack }: TaskPermissionContext): TaskPermissions {
  return {
    statements: [
      new PolicyStatement({
        actions: [
          'iam:GetRole',
          'iam:ListAttachedRolePolicies',
          'iam:ListRolePolicies',
          'iam:GetRolePolicy',
        ],
        resources: [anyRole(stack)],
      }),
    ],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, anyRole(stack)), reason: ROLES_FROM_CONFIG },
    ],
  };
}

/**
 * Creating, reconciling and deleting the roles this service owns (functions/aws/iam.ts), and only
 * those: every write is limited to the service's IAM path. CreateRole with tags also needs
 * TagRole. With an enforced permissions boundary, IAM itself refuses a role created, or a boundary
 * set, with any other boundary.
 */
function writeManagedRoles({ stack, guardrails }: TaskPermissionContext): TaskPermissions {
  const roles = managedRoles(stack);
  const boundary = guardrails.enforcedPermissionsBoundaryArn;
  if (boundary === undefined) {
    throw new MissingTaskPermissionsError(
      'process-batch creates roles only with a permissions boundary: the stack sets the guardrails’ enforcedPermissionsBoundaryArn (its own boundary policy by default)',
    );
  }
  // iam:PermissionsBoundary is the boundary the role gets (CreateRole, PutRolePermissionsBoundary)
  // or already has (PutRolePolicy, AttachRolePolicy): no role is created or given permissions
  // without it, and DeleteRolePermissionsBoundary is not granted at all.
  const withBoundary = { StringEquals: { 'iam:PermissionsBoundary': boundary } };
  const deniedPolicies = guardrails.deniedPolicyArns ?? DEFAULT_GUARDRAILS.deniedPolicyArns;
  return {
    statements: [
      new PolicyStatement({
        actions: [
          'iam:DeleteRole',
          'iam:DetachRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:TagRole',
          'iam:UpdateAssumeRolePolicy',
        ],
        resources: [roles],
      }),
      new PolicyStatement({
        actions: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'],
        resources: [roles],
        conditions: withBoundary,
      }),
      new PolicyStatement({
        actions: ['iam:AttachRolePolicy'],
        resources: [roles],
        conditions:
          deniedPolicies.length === 0
            ? withBoundary
            : { ...withBoundary, ArnNotLike: { 'iam:PolicyARN': [...deniedPolicies] } },
      }),
    ],
    acknowledgements: [{ id: wildcardResourceFinding(stack, roles), reason: MANAGED_ROLE_NAMES }],
  };
}

/** The tag that opts an existing role in: the guardrails' setting, else the default. */
function assignableTag({ guardrails }: TaskPermissionContext): RoleTag | undefined {
  return guardrails.assignableRoleTag === undefined
    ? DEFAULT_ASSIGNABLE_ROLE_TAG
    : roleTagFromText(guardrails.assignableRoleTag);
}

/** `iam:ResourceTag/<key>` condition for roles carrying the tag (any value for `*`). */
function taggedRoles(tag: RoleTag): Record<string, Record<string, string>> {
  return { StringLike: { [`iam:ResourceTag/${tag.key}`]: tag.value } };
}

/**
 * CreatePodIdentityAssociation and UpdatePodIdentityAssociation pass the role to EKS Pod
 * Identity. Passing is limited to that service, and, when the guardrails allow only some role
 * ARNs, to those and the roles this service creates.
 */
function passRolesToPodIdentity(context: TaskPermissionContext): TaskPermissions {
  const { stack, guardrails } = context;
  const patterns = guardrails.allowedRoleArnPatterns ?? [];
  const managed = managedRoles(stack);
  const passable = [...new Set([managed, ...patterns])];
  const toPods = { StringEquals: { 'iam:PassedToService': POD_IDENTITY_SERVICE } };
  const tag = assignableTag(context);
  return {
    statements: [
      new PolicyStatement({ actions: ['iam:PassRole'], resources: passable, conditions: toPods }),
      ...(tag === undefined
        ? []
        : [
            new PolicyStatement({
              actions: ['iam:PassRole'],
              resources: [anyRole(stack)],
              conditions: { ...toPods, ...taggedRoles(tag) },
            }),
          ]),
    ],
    acknowledgements: [
      ...passable
        .filter((resource) => resource.includes('*'))
        .map((resource) => ({
          id: wildcardResourceFinding(stack, resource),
          reason: resource === managed ? MANAGED_ROLE_NAMES : ALLOWED_ROLE_PATTERN,
        })),
      ...(tag === undefined
        ? []
        : [{ id: wildcardResourceFinding(stack, anyRole(stack)), reason: OPTED_IN_ROLES(tag) }]),
    ],
  };
}

/** The tag CloudFormation carries from eksctl's iamserviceaccount stacks onto their IRSA roles. */
const EKSCTL_IRSA_TAG: RoleTag = { key: 'alpha.eksctl.io/iamserviceaccount-name', value: '*' };

/**
 * `actions` on the roles migration may touch: the deployment's migratableRoleArnPatterns when
 * set; else the guardrails' allowed patterns, and (through resource-tag conditions) roles eksctl
 * created for IRSA and roles carrying the opt-in tag. Never every role of the account by
 * default: an IRSA role that is none of these is opted in by tag or by pattern.
 */
function onMigratableRoles(
  context: TaskPermissionContext,
  actions: readonly string[],
  conditions: Record<string, Record<string, string>> = {},
): TaskPermissions {
  const { stack, guardrails, migratableRoleArnPatterns } = context;
  const patterns = migratableRoleArnPatterns ?? guardrails.allowedRoleArnPatterns ?? [];
  const tags =
    migratableRoleArnPatterns === undefined
      ? [EKSCTL_IRSA_TAG, ...[assignableTag(context)].filter((tag) => tag !== undefined)]
      : [];
  return {
    statements: [
      ...(patterns.length === 0
        ? []
        : [new PolicyStatement({ actions: [...actions], resources: [...patterns], conditions })]),
      ...tags.map(
        (tag) =>
          new PolicyStatement({
            actions: [...actions],
            resources: [anyRole(stack)],
            conditions: { ...conditions, ...taggedRoles(tag) },
          }),
      ),
    ],
    acknowledgements: [
      ...patterns
        .filter((resource) => resource.includes('*'))
        .map((resource) => ({
          id: wildcardResourceFinding(stack, resource),
          reason: MIGRATABLE_ROLES,
        })),
      ...(tags.length === 0
        ? []
        : [
            { id: wildcardResourceFinding(stack, anyRole(stack)), reason: MIGRATABLE_TAGGED_ROLES },
          ]),
    ],
  };
}

/**
 * GetRole of any role (reading the trust it re-checks), UpdateAssumeRolePolicy of the roles
 * migration may edit only.
 */
function editMigratableTrust(context: TaskPermissionContext): TaskPermissions {
  return allOf(
    readTrustOfAnyRole(context),
    onMigratableRoles(context, ['iam:UpdateAssumeRolePolicy']),
  );
}

function readTrustOfAnyRole({ stack }: TaskPermissionContext): TaskPermissions {
  return {
    statements: [new PolicyStatement({ actions: ['iam:GetRole'], resources: [anyRole(stack)] })],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, anyRole(stack)), reason: ROLES_FROM_TRUST },
    ],
  };
}

function eksctlRoleStackArns(stack: Stack): string[] {
  return EKSCTL_ROLE_STACK_PATTERNS.map((pattern) =>
    stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${pattern}/*` }),
  );
}

/** Reading eksctl's role stacks (DescribeStacks on their names only), to find an association's. */
function describeEksctlRoleStacks({ stack }: TaskPermissionContext): TaskPermissions {
  const stacks = eksctlRoleStackArns(stack);
  return {
    statements: [
      new PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: stacks }),
    ],
    acknowledgements: stacks.map((resource) => ({
      id: wildcardResourceFinding(stack, resource),
      reason: EKSCTL_STACKS,
    })),
  };
}

/** IAM calls that CloudFormation makes with the caller's credentials, and only those. */
const VIA_CLOUDFORMATION = {
  'ForAnyValue:StringEquals': { 'aws:CalledVia': 'cloudformation.amazonaws.com' },
};

/**
 * Deleting eksctl's role stack with its association (eksctl's delete): the stack calls on
 * eksctl's role stack names, and the role deletion CloudFormation then makes with the task's
 * credentials, only through CloudFormation (so only for roles of those stacks).
 */
function deleteEksctlRoleStacks({ stack }: TaskPermissionContext): TaskPermissions {
  const stacks = eksctlRoleStackArns(stack);
  return {
    statements: [
      new PolicyStatement({
        actions: [
          'cloudformation:DescribeStacks',
          'cloudformation:UpdateTerminationProtection',
          'cloudformation:DeleteStack',
        ],
        resources: stacks,
      }),
      new PolicyStatement({
        actions: [
          'iam:GetRole',
          'iam:ListAttachedRolePolicies',
          'iam:ListRolePolicies',
          'iam:ListInstanceProfilesForRole',
          'iam:DetachRolePolicy',
          'iam:DeleteRolePolicy',
          // No DeleteRolePermissionsBoundary: DeleteRole takes a role with its boundary, and no
          // task may lift a boundary (the guardrails' rule), not even through CloudFormation.
          'iam:DeleteRole',
        ],
        resources: [anyRole(stack)],
        conditions: VIA_CLOUDFORMATION,
      }),
    ],
    acknowledgements: [
      ...stacks.map((resource) => ({
        id: wildcardResourceFinding(stack, resource),
        reason: EKSCTL_STACKS,
      })),
      { id: wildcardResourceFinding(stack, anyRole(stack)), reason: ROLES_OF_EKSCTL_STACKS },
    ],
  };
}

/**
 * Changing a migrated role's trust through its eksctl stack: the stack calls scoped to eksctl's
 * role stack names (and this service's change set names), and the IAM calls CloudFormation
 * then makes with the task's credentials, only when made through CloudFormation.
 */
function editTrustThroughEksctlStacks(context: TaskPermissionContext): TaskPermissions {
  const { stack } = context;
  const stacks = eksctlRoleStackArns(stack);
  const changeSets = stack.formatArn({
    service: 'cloudformation',
    resource: 'changeSet',
    resourceName: `${CHANGE_SET_PREFIX}*/*`,
  });
  return {
    statements: [
      new PolicyStatement({
        actions: [
          'cloudformation:DescribeStacks',
          'cloudformation:ListStackResources',
          'cloudformation:GetTemplate',
          'cloudformation:CreateChangeSet',
          'cloudformation:DescribeChangeSet',
          'cloudformation:ExecuteChangeSet',
          'cloudformation:DeleteChangeSet',
        ],
        resources: [...stacks, changeSets],
      }),
      new PolicyStatement({
        // GetRole and UpdateAssumeRolePolicy of these roles the task holds already.
        actions: [
          'iam:TagRole',
          'iam:UntagRole',
          'iam:ListRolePolicies',
          'iam:ListAttachedRolePolicies',
          'iam:GetRolePolicy',
        ],
        // Only eksctl's IRSA roles (tagged by their stack), and only through CloudFormation.
        resources: [anyRole(stack)],
        conditions: { ...VIA_CLOUDFORMATION, ...taggedRoles(EKSCTL_IRSA_TAG) },
      }),
    ],
    acknowledgements: [
      ...[...stacks, changeSets].map((resource) => ({
        id: wildcardResourceFinding(stack, resource),
        reason: EKSCTL_STACKS,
      })),
      { id: wildcardResourceFinding(stack, anyRole(stack)), reason: ROLES_OF_EKSCTL_STACKS },
    ],
  };
}

/**
 * functions/addons/check-addon and functions/shared/check-cluster: DescribeCluster (status, version, Auto Mode)
 * and DescribeAddon (the pod identity agent).
 */
const describeClusterAndAddon: TaskPermissionsProvider = ({ stack }) => ({
  statements: [
    new PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [anyCluster(stack)] }),
    new PolicyStatement({ actions: ['eks:DescribeAddon'], resources: [anyAddon(stack)] }),
  ],
  acknowledgements: [
    { id: wildcardResourceFinding(stack, anyCluster(stack)), reason: CLUSTER_FROM_INPUT },
    { id: wildcardResourceFinding(stack, anyAddon(stack)), reason: CLUSTER_FROM_INPUT },
  ],
});

/**
 * Every task's permissions, so that no function runs with IAM nobody decided on: a workflow that
 * references a task missing here fails the synth (see {@link taskPermissionsFor}).
 */
export const TASK_PERMISSIONS: TaskPermissionsMap = {
  'check-addon': describeClusterAndAddon,
  'check-cluster': describeClusterAndAddon,
  // functions/addons/create-addon: DescribeCluster, DescribeAddonVersions (default version), CreateAddon
  // (authorised on the cluster; no role is passed, so no iam:PassRole), DescribeAddon when another
  // actor created it first.
  'create-addon': ({ stack }) => ({
    statements: [
      new PolicyStatement({
        actions: ['eks:DescribeCluster', 'eks:CreateAddon'],
        resources: [anyCluster(stack)],
      }),
      new PolicyStatement({ actions: ['eks:DescribeAddon'], resources: [anyAddon(stack)] }),
      new PolicyStatement({ actions: ['eks:DescribeAddonVersions'], resources: ['*'] }),
    ],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, anyCluster(stack)), reason: CLUSTER_FROM_INPUT },
      { id: wildcardResourceFinding(stack, anyAddon(stack)), reason: CLUSTER_FROM_INPUT },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'eks:DescribeAddonVersions supports no resource-level permissions.',
      },
    ],
  }),

  // The associations workflow. No task is granted sts:GetCallerIdentity (account, own identity,
  // EKS tokens): STS answers it for every caller and an IAM policy cannot deny it.

  // functions/associations/load-request: GetObject (and GetObjectVersion, for the version an upload event
  // names) of the config; PutObject of the normalised request (run document `request`); GetRole
  // on itself for its account; the guardrails it checks the request against, with the tags of
  // the existing roles and the documents of the customer managed policies the config names.
  // When a bootstrap run nests it, the config is that run's cluster-config document.
  'load-request': (context) =>
    allOf(
      configObjects(context),
      bootstrapConfigDocuments(context),
      { statements: [listConfigBucket(context.configBucket)] },
      runDocuments(context, 'write'),
      ownIdentity(context),
      readRoleTags(context),
      readCustomerPolicies(context),
      guardrailSettings(context),
    ),
  // functions/associations/get-associations: GetObject of the request; ListPodIdentityAssociations (every
  // page) and DescribePodIdentityAssociation for the listing it returns.
  'get-associations': (context) => allOf(runDocuments(context, 'read'), readAssociations(context)),
  // functions/associations/plan-associations: GetObject of the request, PutObject of the plan; every
  // association of the cluster (list + describe); for an update, each entry's role (GetRole and
  // its policies and tags), to check every entry before any change as eksctl does; for update
  // and delete, DescribeStacks of eksctl's role stack of each entry (eksctl's rules for its roles).
  'plan-associations': (context) =>
    allOf(
      runDocuments(context, 'read-write'),
      readAssociations(context),
      readRoles(context),
      describeEksctlRoleStacks(context),
    ),
  // functions/associations/ensure-kubernetes-access: DescribeCluster (authentication mode), then for this
  // function's own role only: DescribeAccessEntry, CreateAccessEntry when missing,
  // ListAssociatedAccessPolicies, and AssociateAccessPolicy of the two access policies it grants
  // (edit in the run's namespaces, or cluster admin when it creates namespaces); GetRole on
  // itself to turn its STS session ARN into the role ARN the entry is for.
  'ensure-kubernetes-access': (context) =>
    allOf(
      accessEntryForOwnRole(context, [EDIT_POLICY, CLUSTER_ADMIN_POLICY]),
      ownIdentity(context),
    ),
  // functions/associations/process-batch: GetObject of the request and plan, PutObject of the batch's results;
  // for each item: DescribePodIdentityAssociation (live state), Create/Update/Delete
  // PodIdentityAssociation (TagResource for the tags given on create, PassRole for the role;
  // ListPodIdentityAssociations to find the association a conflicting create ran into), the
  // role's current state and the writes to roles it owns; DescribeCluster for the Kubernetes
  // endpoint and CA when it creates or deletes service accounts. It checks the guardrails again on
  // its batch (role tags, customer managed policy documents) in case the request was changed
  // after load-request; IAM enforces the boundary and passable roles in any case.
  'process-batch': (context) =>
    allOf(
      runDocuments(context, 'read-write'),
      readAssociations(context),
      {
        statements: [
          new PolicyStatement({
            actions: ['eks:CreatePodIdentityAssociation', 'eks:DescribeCluster'],
            resources: [anyCluster(context.stack)],
          }),
          new PolicyStatement({
            actions: [
              'eks:UpdatePodIdentityAssociation',
              'eks:DeletePodIdentityAssociation',
              'eks:TagResource',
            ],
            resources: [anyAssociation(context.stack)],
          }),
        ],
        acknowledgements: [
          {
            id: wildcardResourceFinding(context.stack, anyCluster(context.stack)),
            reason: CLUSTER_FROM_INPUT,
          },
          {
            id: wildcardResourceFinding(context.stack, anyAssociation(context.stack)),
            reason: ASSOCIATION_IDS,
          },
        ],
      },
      readRoles(context),
      readCustomerPolicies(context),
      deleteEksctlRoleStacks(context),
      writeManagedRoles(context),
      passRolesToPodIdentity(context),
      guardrailSettings(context),
    ),
  // functions/associations/apply-addons: GetObject of the request, PutObject of the add-on results;
  // DescribeCluster (Kubernetes version, IP family), DescribeAddonVersions and
  // DescribeAddonConfiguration (versions, pod identity support), DescribeAddon and the add-on's
  // associations (list + describe), CreateAddon / UpdateAddon (TagResource for the tags given on
  // create) with its podIdentityAssociations (PassRole to pod identity), and the roles it creates,
  // reconciles and deletes, which are only ever its own.
  'apply-addons': (context) =>
    allOf(
      runDocuments(context, 'read-write'),
      readAssociations(context),
      {
        statements: [
          new PolicyStatement({
            actions: ['eks:DescribeCluster', 'eks:CreateAddon'],
            resources: [anyCluster(context.stack)],
          }),
          new PolicyStatement({
            actions: ['eks:DescribeAddon', 'eks:UpdateAddon', 'eks:TagResource'],
            resources: [anyAddon(context.stack)],
          }),
          new PolicyStatement({
            actions: ['eks:DescribeAddonVersions', 'eks:DescribeAddonConfiguration'],
            resources: ['*'],
          }),
        ],
        acknowledgements: [
          {
            id: wildcardResourceFinding(context.stack, anyCluster(context.stack)),
            reason: CLUSTER_FROM_INPUT,
          },
          {
            id: wildcardResourceFinding(context.stack, anyAddon(context.stack)),
            reason: CLUSTER_FROM_INPUT,
          },
          {
            id: 'AwsSolutions-IAM5[Resource::*]',
            reason:
              'eks:DescribeAddonVersions and eks:DescribeAddonConfiguration support no resource-level permissions.',
          },
        ],
      },
      readRoles(context),
      writeManagedRoles(context),
      passRolesToPodIdentity(context),
      guardrailSettings(context),
    ),
  // functions/associations/report-associations: GetObject of the plan and batch results, PutObject of
  // report.json; PutEvents of the run-completed event, on the one bus, with its source and
  // detail type only.
  'report-associations': (context) =>
    allOf(runDocuments(context, 'read-write'), publishRunCompleted(context)),

  // The bootstrap-cluster workflow. Its nested runs (ensure-addon, associations) are started by
  // the state machine, whose role the stack grants StartExecution on those two only.

  // functions/bootstrap/read-cluster-event: parses the CloudTrail record or console input; no AWS call.
  'read-cluster-event': () => ({ statements: [] }),
  // functions/bootstrap/check-cluster-status: DescribeCluster, once per check of the wait loop.
  'check-cluster-status': ({ stack }) => ({
    statements: [
      new PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [anyCluster(stack)] }),
    ],
    acknowledgements: [
      { id: wildcardResourceFinding(stack, anyCluster(stack)), reason: CLUSTER_FROM_INPUT },
    ],
  }),
  // functions/bootstrap/find-cluster-config: ListObjectsV2 under clusters/<name>. and defaults/ (the
  // listing is conditioned on those prefixes), GetObject of the files found there, PutObject of
  // the config to apply as the run document cluster-config.
  'find-cluster-config': (context) => {
    const { stack, configBucket } = context;
    const configFiles = [CLUSTERS_PREFIX, DEFAULTS_PREFIX].map((prefix) =>
      configBucket.objectsUnder(prefix),
    );
    return allOf(runDocuments(context, 'write'), {
      statements: [
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [configBucket.bucket.bucketArn],
          conditions: {
            StringLike: { 's3:prefix': [`${CLUSTERS_PREFIX}*`, `${DEFAULTS_PREFIX}*`] },
          },
        }),
        new PolicyStatement({ actions: ['s3:GetObject'], resources: configFiles }),
      ],
      acknowledgements: configFiles.map((files) => ({
        id: wildcardResourceFinding(stack, files),
        reason: BOOTSTRAP_CONFIG_KEYS,
      })),
    });
  },
  // functions/bootstrap/report-bootstrap: builds the report from its input and puts the run-completed event.
  'report-bootstrap': (context) => publishRunCompleted(context),

  // The migrate-to-pod-identity workflow. check-cluster is shared with associations; the nested
  // ensure-addon run is started by the state machine.

  // functions/migration/load-migration-request: validates the input; no AWS call.
  'load-migration-request': () => ({ statements: [] }),
  // functions/migration/find-oidc-provider: ListOpenIDConnectProviders, to find the cluster's provider.
  'find-oidc-provider': () => ({
    statements: [
      new PolicyStatement({ actions: ['iam:ListOpenIDConnectProviders'], resources: ['*'] }),
    ],
    acknowledgements: [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: NO_RESOURCE_LEVEL('iam:ListOpenIDConnectProviders'),
      },
    ],
  }),
  // functions/migration/ensure-migration-access: the access entry of its (shared) role, with the view policy
  // to discover service accounts, or the edit policy to remove their annotations; GetRole on
  // itself to turn its STS session ARN into the role ARN the entry is for.
  'ensure-migration-access': (context) =>
    allOf(accessEntryForOwnRole(context, [VIEW_POLICY, EDIT_POLICY]), ownIdentity(context)),
  // functions/migration/discover-irsa (changes nothing): DescribeCluster for the Kubernetes endpoint, then
  // service accounts and pods through the access entry of its shared role; ListRoles (trust
  // policies naming the provider), GetRole, GetAccountSummary (trust policy size quota);
  // ListAddons and DescribeAddon (add-on owned roles); DescribeStacks of every stack (eksctl's
  // iamserviceaccount tags) and ListStackResources of those; the cluster's associations; PutObject
  // of the plan. The deployment's migratableRoleArnPatterns, when set, so that the plan leaves out
  // the roles the other migration tasks' IAM may not touch.
  'discover-irsa': (context) => {
    const { stack, migratableRoleArnPatterns } = context;
    const anyStack = stack.formatArn({
      service: 'cloudformation',
      resource: 'stack',
      resourceName: '*/*',
    });
    const anyClusterArn = anyCluster(stack);
    return allOf(runDocuments(context, 'write'), readAssociations(context), {
      statements: [
        new PolicyStatement({
          actions: ['eks:DescribeCluster', 'eks:ListAddons'],
          resources: [anyClusterArn],
        }),
        new PolicyStatement({ actions: ['eks:DescribeAddon'], resources: [anyAddon(stack)] }),
        new PolicyStatement({ actions: ['iam:GetRole'], resources: [anyRole(stack)] }),
        new PolicyStatement({
          actions: ['iam:ListRoles', 'iam:GetAccountSummary', 'cloudformation:DescribeStacks'],
          resources: ['*'],
        }),
        new PolicyStatement({
          actions: ['cloudformation:ListStackResources'],
          resources: [anyStack],
        }),
      ],
      acknowledgements: [
        { id: wildcardResourceFinding(stack, anyClusterArn), reason: CLUSTER_FROM_INPUT },
        { id: wildcardResourceFinding(stack, anyAddon(stack)), reason: CLUSTER_FROM_INPUT },
        { id: wildcardResourceFinding(stack, anyRole(stack)), reason: ROLES_FROM_TRUST },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: NO_RESOURCE_LEVEL(
            'iam:ListRoles, iam:GetAccountSummary and cloudformation:DescribeStacks without a stack name',
          ),
        },
        { id: wildcardResourceFinding(stack, anyStack), reason: ANY_STACK },
      ],
      ...(migratableRoleArnPatterns === undefined
        ? {}
        : {
            environment: {
              [MIGRATABLE_ROLES_ENV]: JSON.stringify(migratableRoleArnPatterns),
            },
          }),
    });
  },
  // functions/migration/add-pod-identity-trust: GetRole and UpdateAssumeRolePolicy of the plan's roles (the
  // pods.eks.amazonaws.com statement, added once per role); run documents (plan, outcomes).
  'add-pod-identity-trust': (context) =>
    allOf(
      runDocuments(context, 'read-write'),
      editMigratableTrust(context),
      editTrustThroughEksctlStacks(context),
    ),
  // functions/migration/create-migration-associations: CreatePodIdentityAssociation (no tags) passing the
  // plan's roles to pods.eks.amazonaws.com only; List/DescribePodIdentityAssociation when one
  // exists already; DescribeCluster and GetRole to check each role's OIDC trust as it is now;
  // run documents.
  'create-migration-associations': (context) => {
    const { stack } = context;
    return allOf(
      runDocuments(context, 'read-write'),
      readAssociations(context),
      readTrustOfAnyRole(context),
      {
        statements: [
          new PolicyStatement({
            actions: ['eks:CreatePodIdentityAssociation', 'eks:DescribeCluster'],
            resources: [anyCluster(stack)],
          }),
        ],
        acknowledgements: [
          { id: wildcardResourceFinding(stack, anyCluster(stack)), reason: CLUSTER_FROM_INPUT },
        ],
      },
      onMigratableRoles(context, ['iam:PassRole'], {
        StringEquals: { 'iam:PassedToService': POD_IDENTITY_SERVICE },
      }),
    );
  },
  // functions/migration/migrate-addons: the add-on roles' trust (GetRole, UpdateAssumeRolePolicy);
  // DescribeAddon and its associations, UpdateAddon with podIdentityAssociations passing the
  // add-on's own role to pods.eks.amazonaws.com only; run documents.
  'migrate-addons': (context) => {
    const { stack } = context;
    return allOf(
      runDocuments(context, 'read-write'),
      readAssociations(context),
      editMigratableTrust(context),
      {
        statements: [
          new PolicyStatement({
            actions: ['eks:DescribeAddon', 'eks:UpdateAddon'],
            resources: [anyAddon(stack)],
          }),
        ],
        acknowledgements: [
          { id: wildcardResourceFinding(stack, anyAddon(stack)), reason: CLUSTER_FROM_INPUT },
        ],
      },
      onMigratableRoles(context, ['iam:PassRole'], {
        StringEquals: { 'iam:PassedToService': POD_IDENTITY_SERVICE },
      }),
    );
  },
  // functions/migration/remove-irsa-annotations: DescribeCluster for the Kubernetes endpoint, then get and
  // patch service accounts through the access entry of its shared role; run documents.
  'remove-irsa-annotations': (context) =>
    allOf(runDocuments(context, 'read-write'), {
      statements: [
        new PolicyStatement({
          actions: ['eks:DescribeCluster'],
          resources: [anyCluster(context.stack)],
        }),
      ],
      acknowledgements: [
        {
          id: wildcardResourceFinding(context.stack, anyCluster(context.stack)),
          reason: CLUSTER_FROM_INPUT,
        },
      ],
    }),
  // functions/migration/remove-oidc-trust: GetRole and UpdateAssumeRolePolicy of the plan's roles (only this
  // cluster's provider and the migrated service accounts are removed); run documents.
  'remove-oidc-trust': (context) =>
    allOf(
      runDocuments(context, 'read-write'),
      editMigratableTrust(context),
      editTrustThroughEksctlStacks(context),
    ),
  // functions/migration/report-migration: reads the plan and outcomes, writes report.json, puts the
  // run-completed event.
  'report-migration': (context) =>
    allOf(runDocuments(context, 'read-write'), publishRunCompleted(context)),
};

/**
 * The permission set of one task.
 *
 * @throws MissingTaskPermissionsError when the map has no entry for the task.
 */
export function taskPermissionsFor(
  permissions: TaskPermissionsMap,
  task: string,
  context: TaskPermissionContext,
): TaskPermissions {
  const provider = Object.hasOwn(permissions, task) ? permissions[task] : undefined;
  if (provider === undefined) {
    throw new MissingTaskPermissionsError(
      `Task ${task} has no entry in infra/task-permissions.ts: add its least-privilege IAM ` +
        'statements (an empty list if it calls no AWS API) before it can be deployed',
    );
  }
  return provider(context);
}
