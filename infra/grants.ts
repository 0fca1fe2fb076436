/**
 * The permission sets tasks get, by the names their descriptors list in `grants`
 * (functions/<group>/<task>/contract.ts): each built once here, with the cdk-nag findings it
 * accepts and why, and the environment variables that go with it.
 */
import type { Stack } from 'aws-cdk-lib';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { DEFAULT_GUARDRAILS, type RoleTag } from '../functions/core/associations/guardrails.ts';
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
import { DESIRED_PREFIX } from '../functions/core/desired-state.ts';
import { CHANGE_SET_PREFIX, EKSCTL_ROLE_STACK_PATTERNS } from '../functions/core/eksctl-stacks.ts';
import { FLEET_PREFIX } from '../functions/core/fleet/fleet-config.ts';
import { MIGRATABLE_ROLES_ENV } from '../functions/core/migration/migratable.ts';
import { ROLE_PATH } from '../functions/core/naming.ts';
import { runDocumentKey } from '../functions/core/run-documents.ts';
import { EVENT_SOURCE, RUN_COMPLETED } from '../functions/core/run-events.ts';
import type { ConfigBucket } from './constructs/config-bucket.ts';
import { GrantSettingsError } from './errors.ts';
import { assignableRoleTagOf, guardrailsEnvironment } from './guardrails.ts';
import { wildcardResourceFinding } from './nag.ts';
import {
  type Acknowledgement,
  allOf,
  type GrantTable,
  type TaskPermissionContext,
  type TaskPermissions,
} from './task-permissions.ts';

/** The service principal EKS Pod Identity assumes roles as; the only one tasks may pass roles to. */
const POD_IDENTITY_SERVICE = 'pods.eks.amazonaws.com';
const POD_IDENTITY_ONLY = { StringEquals: { 'iam:PassedToService': POD_IDENTITY_SERVICE } };

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
  'prefixes, fleet/, configs/ and desired/ of the config bucket, never runs/.';
const DESIRED_STATE_KEYS =
  'Each managed cluster has its desired state under desired/<cluster name>/, a name chosen by ' +
  'whoever created the cluster; the wildcard covers the desired/ prefix of the config bucket only.';

const MIGRATABLE_ROLES =
  'Accepts editing the trust of (and passing to pods.eks.amazonaws.com) the roles matching the ' +
  'deployment’s migratableRoleArnPatterns (or allowedRoleArnPatterns): the IRSA roles it chose to migrate.';
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
  'defaults and fleet files; the wildcards cover only clusters/, defaults/ and fleet/ of the ' +
  'config bucket.';
const BOOTSTRAP_CONFIG_DOCUMENTS =
  'The config a bootstrap run applies is its run document runs/<execution name>/' +
  'cluster-config.json, a name Step Functions generates; the wildcard covers that one document ' +
  'name under runs/.';

/** Resources a statement applies to, and why IAM cannot be given narrower ones. */
interface Scope {
  readonly resources: readonly string[];
  /** Acknowledges the AwsSolutions-IAM5 finding each wildcard among the resources raises. */
  readonly reason?: string;
}

interface GrantStatement extends Scope {
  readonly actions: readonly string[];
  readonly conditions?: Record<string, unknown>;
}

/** Any cluster in the stack's account and region: the cluster comes from each execution's input. */
function anyCluster(stack: Stack): Scope {
  return {
    resources: [stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: '*' })],
    reason: CLUSTER_FROM_INPUT,
  };
}

/** Any add-on: its ARN is `addon/<cluster>/<add-on>/<id EKS generates>`. */
function anyAddon(stack: Stack): Scope {
  return {
    resources: [stack.formatArn({ service: 'eks', resource: 'addon', resourceName: '*/*/*' })],
    reason: CLUSTER_FROM_INPUT,
  };
}

/** Any association: its ARN is `podidentityassociation/<cluster>/<id EKS generates>`. */
function anyAssociation(stack: Stack): Scope {
  return {
    resources: [
      stack.formatArn({ service: 'eks', resource: 'podidentityassociation', resourceName: '*/*' }),
    ],
    reason: ASSOCIATION_IDS,
  };
}

/**
 * The task role's own access entries in any cluster: their ARN is
 * `access-entry/<cluster>/role/<account>/<role name>/<id EKS generates>`.
 */
function ownAccessEntries(stack: Stack, role: IRole): Scope {
  return {
    resources: [
      stack.formatArn({
        service: 'eks',
        resource: 'access-entry',
        resourceName: `*/role/${stack.account}/${role.roleName}/*`,
      }),
    ],
    reason: OWN_ACCESS_ENTRIES,
  };
}

/** Any role of the account, whatever its path: why a grant needs them all depends on the grant. */
function anyRole(stack: Stack, reason: string): Scope {
  return {
    resources: [
      stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' }),
    ],
    reason,
  };
}

/** The roles this service creates: all of them, and only they, live under its IAM path. */
function managedRoles(stack: Stack): Scope {
  return {
    resources: [
      stack.formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName: `${ROLE_PATH.slice(1)}*`,
      }),
    ],
    reason: MANAGED_ROLE_NAMES,
  };
}

/** The account's customer managed policies (AWS managed ones live in account `aws`). */
function customerPolicies(stack: Stack): Scope {
  return {
    resources: [
      stack.formatArn({ service: 'iam', region: '', resource: 'policy', resourceName: '*' }),
    ],
    reason: POLICIES_FROM_CONFIG,
  };
}

/** eksctl's role stacks, by the names eksctl gives them. */
function eksctlRoleStacks(stack: Stack): Scope {
  return {
    resources: EKSCTL_ROLE_STACK_PATTERNS.map((pattern) =>
      stack.formatArn({
        service: 'cloudformation',
        resource: 'stack',
        resourceName: `${pattern}/*`,
      }),
    ),
    reason: EKSCTL_STACKS,
  };
}

/** `*`, for actions that support no resource-level permissions. */
function noResourceLevel(actions: string): Scope {
  return {
    resources: ['*'],
    reason: `${actions} support no resource-level permissions: IAM accepts only * for them.`,
  };
}

/** The IAM5 findings `resources` raise (the wildcard ones), each acknowledged with `reason`. */
function wildcardAcknowledgements(
  stack: Stack,
  resources: readonly string[],
  reason: string,
): Acknowledgement[] {
  return resources
    .filter((resource) => resource.includes('*'))
    .map((resource) => ({ id: wildcardResourceFinding(stack, resource), reason }));
}

/** A grant's statements, in order, with the findings their wildcards raise acknowledged. */
function grantOf(stack: Stack, statements: readonly GrantStatement[]): TaskPermissions {
  return allOf(
    ...statements.map(({ actions, resources, conditions, reason }) => ({
      statements: [
        new PolicyStatement({ actions: [...actions], resources: [...resources], conditions }),
      ],
      acknowledgements:
        reason === undefined ? [] : wildcardAcknowledgements(stack, resources, reason),
    })),
  );
}

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
    acknowledgements: wildcardAcknowledgements(stack, [documents], RUN_DOCUMENT_KEYS),
    environment: { CONFIG_BUCKET: configBucket.bucketName },
  };
}

/** The clusters' desired state (functions/core/desired-state.ts): recorded by applies, read by the drift check. */
function desiredState(
  { stack, configBucket }: TaskPermissionContext,
  access: 'read' | 'write',
): TaskPermissions {
  const records = configBucket.objectsUnder(DESIRED_PREFIX);
  return {
    ...grantOf(stack, [
      access === 'write'
        ? { actions: ['s3:PutObject'], resources: [records], reason: DESIRED_STATE_KEYS }
        : { actions: ['s3:GetObject'], resources: [records], reason: DESIRED_STATE_KEYS },
      ...(access === 'write'
        ? []
        : [
            {
              actions: ['s3:ListBucket'],
              resources: [configBucket.bucket.bucketArn],
              conditions: { StringLike: { 's3:prefix': [`${DESIRED_PREFIX}*`] } },
            },
          ]),
    ]),
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
  const configs = [
    ...configBucket.triggerPrefixes,
    FLEET_PREFIX,
    configBucket.configsPrefix,
    DESIRED_PREFIX,
  ].map((prefix) => configBucket.objectsUnder(prefix));
  return {
    ...grantOf(stack, [
      { actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: configs, reason: CONFIG_KEYS },
    ]),
    environment: { CONFIG_BUCKET: configBucket.bucketName },
  };
}

/** The configs bootstrap runs found and stored for their nested associations runs. */
function bootstrapConfigDocuments({ stack, configBucket }: TaskPermissionContext): TaskPermissions {
  // The run document in which a bootstrap run hands the config it found to its nested
  // associations run (functions/bootstrap/find-cluster-config), in any run.
  const documents = configBucket.bucket.arnForObjects(runDocumentKey('*', APPLIED_CONFIG_DOCUMENT));
  return grantOf(stack, [
    { actions: ['s3:GetObject'], resources: [documents], reason: BOOTSTRAP_CONFIG_DOCUMENTS },
  ]);
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
  return grantOf(stack, [
    { actions: ['eks:DescribeCluster'], ...anyCluster(stack) },
    {
      actions: ['eks:CreateAccessEntry'],
      ...anyCluster(stack),
      conditions: { StringEquals: { 'eks:principalArn': role.roleArn } },
    },
    { actions: ['eks:DescribeAccessEntry', 'eks:ListAssociatedAccessPolicies'], ...entries },
    {
      actions: ['eks:AssociateAccessPolicy'],
      ...entries,
      conditions: { StringEquals: { 'eks:policyArn': [...accessPolicies] } },
    },
  ]);
}

/** ListPodIdentityAssociations (every page) and DescribePodIdentityAssociation. */
function readAssociations({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [
    { actions: ['eks:ListPodIdentityAssociations'], ...anyCluster(stack) },
    describingAssociations(stack),
  ]);
}

/** DescribePodIdentityAssociation of any association, by an id found before (a plan's). */
function describingAssociations(stack: Stack): GrantStatement {
  return { actions: ['eks:DescribePodIdentityAssociation'], ...anyAssociation(stack) };
}

/** GetRole of the existing roles a config names: their tags may opt them in to being associated. */
function readRoleTags({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [{ actions: ['iam:GetRole'], ...anyRole(stack, ROLES_FROM_CONFIG) }]);
}

/**
 * GetPolicy and GetPolicyVersion of the account's customer managed policies
 * (functions/aws/iam.ts getPolicyDocument): the guardrails judge a policy a config attaches by
 * its document.
 */
function readCustomerPolicies({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [
    { actions: ['iam:GetPolicy', 'iam:GetPolicyVersion'], ...customerPolicies(stack) },
  ]);
}

/**
 * What functions/aws/iam.ts getRoleState reads of a role: GetRole (trust, tags, boundary),
 * ListAttachedRolePolicies, ListRolePolicies and GetRolePolicy.
 */
function readRoles({ stack }: TaskPermissionContext): TaskPermissions {
  const actions = [
    'iam:GetRole',
    'iam:ListAttachedRolePolicies',
    'iam:ListRolePolicies',
    'iam:GetRolePolicy',
  ];
  return grantOf(stack, [{ actions, ...anyRole(stack, ROLES_FROM_CONFIG) }]);
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
    throw new GrantSettingsError(
      'write-managed-roles creates roles only with a permissions boundary: the stack sets the guardrails’ enforcedPermissionsBoundaryArn (its own boundary policy by default); give one in the context grants are built with',
    );
  }
  // iam:PermissionsBoundary is the boundary the role gets (CreateRole, PutRolePermissionsBoundary)
  // or already has (PutRolePolicy, AttachRolePolicy): no role is created or given permissions
  // without it, and DeleteRolePermissionsBoundary is not granted at all.
  const withBoundary = { StringEquals: { 'iam:PermissionsBoundary': boundary } };
  const deniedPolicies = guardrails.deniedPolicyArns ?? DEFAULT_GUARDRAILS.deniedPolicyArns;
  return grantOf(stack, [
    {
      actions: [
        'iam:DeleteRole',
        'iam:DetachRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:TagRole',
        'iam:UpdateAssumeRolePolicy',
      ],
      ...roles,
    },
    {
      actions: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'],
      ...roles,
      conditions: withBoundary,
    },
    {
      actions: ['iam:AttachRolePolicy'],
      ...roles,
      conditions:
        deniedPolicies.length === 0
          ? withBoundary
          : { ...withBoundary, ArnNotLike: { 'iam:PolicyARN': [...deniedPolicies] } },
    },
  ]);
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
  const managed = managedRoles(stack).resources;
  const passable = [...new Set([...managed, ...(guardrails.allowedRoleArnPatterns ?? [])])];
  const tag = assignableRoleTagOf(guardrails);
  return allOf(
    {
      statements: [
        new PolicyStatement({
          actions: ['iam:PassRole'],
          resources: passable,
          conditions: POD_IDENTITY_ONLY,
        }),
      ],
      acknowledgements: [
        ...wildcardAcknowledgements(stack, managed, MANAGED_ROLE_NAMES),
        ...wildcardAcknowledgements(stack, passable.slice(managed.length), ALLOWED_ROLE_PATTERN),
      ],
    },
    grantOf(stack, [
      {
        actions: ['iam:PassRole'],
        ...anyRole(stack, OPTED_IN_ROLES(tag)),
        conditions: { ...POD_IDENTITY_ONLY, ...taggedRoles(tag) },
      },
    ]),
  );
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
      ? [EKSCTL_IRSA_TAG, assignableRoleTagOf(context.guardrails)]
      : [];
  return grantOf(stack, [
    ...(patterns.length === 0
      ? []
      : [{ actions, resources: patterns, conditions, reason: MIGRATABLE_ROLES }]),
    ...tags.map((tag) => ({
      actions,
      ...anyRole(stack, MIGRATABLE_TAGGED_ROLES),
      conditions: { ...conditions, ...taggedRoles(tag) },
    })),
  ]);
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
  return grantOf(stack, [{ actions: ['iam:GetRole'], ...anyRole(stack, ROLES_FROM_TRUST) }]);
}

/** Reading eksctl's role stacks (DescribeStacks on their names only), to find an association's. */
function describeEksctlRoleStacks({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [
    { actions: ['cloudformation:DescribeStacks'], ...eksctlRoleStacks(stack) },
  ]);
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
  return grantOf(stack, [
    {
      actions: [
        'cloudformation:DescribeStacks',
        'cloudformation:UpdateTerminationProtection',
        'cloudformation:DeleteStack',
      ],
      ...eksctlRoleStacks(stack),
    },
    {
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
      ...anyRole(stack, ROLES_OF_EKSCTL_STACKS),
      conditions: VIA_CLOUDFORMATION,
    },
  ]);
}

/**
 * Changing a migrated role's trust through its eksctl stack: the stack calls scoped to eksctl's
 * role stack names (and this service's change set names), and the IAM calls CloudFormation
 * then makes with the task's credentials, only when made through CloudFormation.
 */
function editTrustThroughEksctlStacks({ stack }: TaskPermissionContext): TaskPermissions {
  const changeSets = stack.formatArn({
    service: 'cloudformation',
    resource: 'changeSet',
    resourceName: `${CHANGE_SET_PREFIX}*/*`,
  });
  return grantOf(stack, [
    {
      actions: [
        'cloudformation:DescribeStacks',
        'cloudformation:ListStackResources',
        'cloudformation:GetTemplate',
        'cloudformation:CreateChangeSet',
        'cloudformation:DescribeChangeSet',
        'cloudformation:ExecuteChangeSet',
        'cloudformation:DeleteChangeSet',
      ],
      resources: [...eksctlRoleStacks(stack).resources, changeSets],
      reason: EKSCTL_STACKS,
    },
    {
      // GetRole and UpdateAssumeRolePolicy of these roles the task holds already.
      actions: [
        'iam:TagRole',
        'iam:UntagRole',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
        'iam:GetRolePolicy',
      ],
      // Only eksctl's IRSA roles (tagged by their stack), and only through CloudFormation.
      ...anyRole(stack, ROLES_OF_EKSCTL_STACKS),
      conditions: { ...VIA_CLOUDFORMATION, ...taggedRoles(EKSCTL_IRSA_TAG) },
    },
  ]);
}

/** DescribeCluster: status, version, Auto Mode, the Kubernetes endpoint and OIDC issuer. */
function describeClusters({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [{ actions: ['eks:DescribeCluster'], ...anyCluster(stack) }]);
}

function listClusters({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [
    { actions: ['eks:ListClusters'], ...noResourceLevel('eks:ListClusters') },
  ]);
}

function describeAddons({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [{ actions: ['eks:DescribeAddon'], ...anyAddon(stack) }]);
}

/**
 * CreateAddon is authorised on the cluster; no role is passed, so no iam:PassRole. DescribeAddon
 * for an add-on another actor created first, DescribeAddonVersions for the default version.
 */
function installAddons({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [
    { actions: ['eks:DescribeCluster', 'eks:CreateAddon'], ...anyCluster(stack) },
    { actions: ['eks:DescribeAddon'], ...anyAddon(stack) },
    {
      actions: ['eks:DescribeAddonVersions'],
      resources: ['*'],
      reason: 'eks:DescribeAddonVersions supports no resource-level permissions.',
    },
  ]);
}

/**
 * Add-ons with their podIdentityAssociations: CreateAddon and UpdateAddon (TagResource for the
 * tags given on create), the cluster's Kubernetes version and IP family, and which versions take
 * pod identity associations (DescribeAddonVersions, DescribeAddonConfiguration).
 */
function writeAddons({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [
    { actions: ['eks:DescribeCluster', 'eks:CreateAddon'], ...anyCluster(stack) },
    { actions: ['eks:DescribeAddon', 'eks:UpdateAddon', 'eks:TagResource'], ...anyAddon(stack) },
    {
      actions: ['eks:DescribeAddonVersions', 'eks:DescribeAddonConfiguration'],
      resources: ['*'],
      reason:
        'eks:DescribeAddonVersions and eks:DescribeAddonConfiguration support no resource-level permissions.',
    },
  ]);
}

function updateAddons({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [
    { actions: ['eks:DescribeAddon', 'eks:UpdateAddon'], ...anyAddon(stack) },
  ]);
}

/**
 * CreatePodIdentityAssociation is authorised on the cluster; DescribeCluster beside it for the
 * cluster's Kubernetes endpoint and OIDC issuer. The role it passes needs a PassRole grant too.
 */
function createAssociations({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [
    {
      actions: ['eks:CreatePodIdentityAssociation', 'eks:DescribeCluster'],
      ...anyCluster(stack),
    },
  ]);
}

/** Update and delete of associations, and TagResource for the tags given on create. */
function changeAssociations({ stack }: TaskPermissionContext): TaskPermissions {
  const actions = [
    'eks:UpdatePodIdentityAssociation',
    'eks:DeletePodIdentityAssociation',
    'eks:TagResource',
  ];
  return grantOf(stack, [{ actions, ...anyAssociation(stack) }]);
}

/**
 * The per-cluster and defaults files a new cluster's config is found in: ListObjectsV2 only with
 * those prefixes, GetObject of the files found there.
 */
function clusterConfigFiles({ stack, configBucket }: TaskPermissionContext): TaskPermissions {
  const prefixes = [CLUSTERS_PREFIX, DEFAULTS_PREFIX, FLEET_PREFIX];
  const configFiles = prefixes.map((prefix) => configBucket.objectsUnder(prefix));
  return grantOf(stack, [
    {
      actions: ['s3:ListBucket'],
      resources: [configBucket.bucket.bucketArn],
      conditions: {
        StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) },
      },
    },
    { actions: ['s3:GetObject'], resources: configFiles, reason: BOOTSTRAP_CONFIG_KEYS },
  ]);
}

function listOidcProviders({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [
    {
      actions: ['iam:ListOpenIDConnectProviders'],
      ...noResourceLevel('iam:ListOpenIDConnectProviders'),
    },
  ]);
}

/**
 * The account's role count and quota, and the names of the roles the service created: how many
 * roles a run may still create (the quota is account-wide, so no narrower resource applies).
 */
function countAccountRoles({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [
    {
      actions: ['iam:GetAccountSummary', 'iam:ListRoles'],
      ...noResourceLevel('iam:GetAccountSummary and iam:ListRoles'),
    },
  ]);
}

/**
 * The names of the account's roles (ListRoles, which returns no tags): a dry run's plan tells
 * which roles its creates would find already there, in one listing rather than a GetRole each.
 */
function listRoleNames({ stack }: TaskPermissionContext): TaskPermissions {
  return grantOf(stack, [{ actions: ['iam:ListRoles'], ...noResourceLevel('iam:ListRoles') }]);
}

/**
 * What IRSA discovery reads, and only reads: the cluster and its add-ons (add-on owned roles, and
 * which service accounts an add-on version takes pod identity associations for), every role
 * trusting the cluster's provider, the trust policy size quota, eksctl's iamserviceaccount stacks
 * (found by their tags) and their roles.
 */
function discoverIrsaRoles({ stack }: TaskPermissionContext): TaskPermissions {
  const anyStack = stack.formatArn({
    service: 'cloudformation',
    resource: 'stack',
    resourceName: '*/*',
  });
  return grantOf(stack, [
    { actions: ['eks:DescribeCluster', 'eks:ListAddons'], ...anyCluster(stack) },
    { actions: ['eks:DescribeAddon'], ...anyAddon(stack) },
    { actions: ['iam:GetRole'], ...anyRole(stack, ROLES_FROM_TRUST) },
    {
      actions: [
        'iam:ListRoles',
        'iam:GetAccountSummary',
        'cloudformation:DescribeStacks',
        'eks:DescribeAddonConfiguration',
      ],
      ...noResourceLevel(
        'iam:ListRoles, iam:GetAccountSummary, eks:DescribeAddonConfiguration and cloudformation:DescribeStacks without a stack name',
      ),
    },
    { actions: ['cloudformation:ListStackResources'], resources: [anyStack], reason: ANY_STACK },
  ]);
}

/**
 * The deployment's migratableRoleArnPatterns, when set, so that the migration plan leaves out the
 * roles the other migration tasks' IAM may not touch.
 */
function migratableRolePatterns({
  migratableRoleArnPatterns,
}: TaskPermissionContext): TaskPermissions {
  return migratableRoleArnPatterns === undefined
    ? { statements: [] }
    : {
        statements: [],
        environment: { [MIGRATABLE_ROLES_ENV]: JSON.stringify(migratableRoleArnPatterns) },
      };
}

/**
 * Every grant a task may list, so that no function runs with IAM nobody decided on: a descriptor
 * naming a grant missing here fails the synth (infra/task-permissions.ts grantsNamed).
 */
export const GRANTS: GrantTable = {
  'run-documents:write': {
    summary: 'under `runs/`: the documents the task hands on to later tasks',
    build: (context) => runDocuments(context, 'write'),
  },
  'run-documents:read': {
    summary:
      'reads the documents earlier tasks of the run wrote, and writes none; ListBucket of the config bucket so that a missing document reads as missing, not denied',
    build: (context) => runDocuments(context, 'read'),
  },
  'run-documents:read-write': {
    summary:
      'and reads the documents earlier tasks of the run wrote; ListBucket of the config bucket so that a missing document reads as missing, not denied',
    build: (context) => runDocuments(context, 'read-write'),
  },
  'config-objects': {
    summary:
      'reads (any version of) the configs uploaded under the trigger prefixes, `fleet/` and `configs/`, and the desired states under `desired/`; never `runs/`',
    build: configObjects,
  },
  'bootstrap-config-documents': {
    summary:
      'reads `runs/*/cluster-config.json`: the config a bootstrap or fleet run hands to its nested associations run',
    build: bootstrapConfigDocuments,
  },
  'list-config-bucket': {
    summary: 'of the config bucket, so that a missing config reads as missing, not denied',
    build: ({ configBucket }) => ({ statements: [listConfigBucket(configBucket)] }),
  },
  'cluster-config-files': {
    summary: `lists (prefix \`${CLUSTERS_PREFIX}\`, \`${DEFAULTS_PREFIX}\` or \`${FLEET_PREFIX}\` only) and reads those prefixes: the config of a new cluster`,
    build: clusterConfigFiles,
  },
  'publish-run-completed': {
    summary: `on the one bus, only with source \`${EVENT_SOURCE}\` and detail type \`${RUN_COMPLETED}\``,
    build: publishRunCompleted,
  },
  'describe-clusters': {
    summary: 'status, version, tags, Auto Mode, Kubernetes endpoint and OIDC issuer of any cluster',
    build: describeClusters,
  },
  'desired-state:write': {
    summary: "under `desired/`: a cluster's desired state, after an apply",
    build: (context) => desiredState(context, 'write'),
  },
  'desired-state:read': {
    summary: 'lists (prefix `desired/` only) and reads the desired states, for the drift check',
    build: (context) => desiredState(context, 'read'),
  },
  'list-clusters': {
    summary: "the names of the region's clusters, for fleet configs to select among",
    build: listClusters,
  },
  'describe-addons': {
    summary: 'any add-on: whether the pod identity agent is installed',
    build: describeAddons,
  },
  'install-addons': {
    summary:
      'installs an add-on (the pod identity agent) at its default version (`*`: DescribeAddonVersions has no resource-level permissions); passes no role',
    build: installAddons,
  },
  'write-addons': {
    summary:
      'creates, updates and tags add-ons with their pod identity associations; reads which versions take them (`*`: no resource-level permissions)',
    build: writeAddons,
  },
  'update-addons': {
    summary: 'gives an installed add-on its pod identity associations',
    build: updateAddons,
  },
  'read-associations': {
    summary: 'lists and describes the pod identity associations of any cluster',
    build: readAssociations,
  },
  'describe-associations': {
    summary:
      'describes pod identity associations of any cluster by the ids the plan found, listing none',
    build: ({ stack }) => grantOf(stack, [describingAssociations(stack)]),
  },
  'create-associations': {
    summary:
      'creates pod identity associations in any cluster (the role passed needs a pass grant too), and reads the cluster',
    build: createAssociations,
  },
  'change-associations': {
    summary: 'updates, deletes and tags pod identity associations',
    build: changeAssociations,
  },
  'tag-new-associations': {
    summary:
      'tags the pod identity associations it creates (a migration marks its own, so the drift check does not take them for ones made by hand)',
    build: ({ stack }) =>
      grantOf(stack, [{ actions: ['eks:TagResource'], ...anyAssociation(stack) }]),
  },
  'own-access-entry:edit-or-cluster-admin': {
    summary:
      'creates and reads the EKS access entry of the task’s own role only, and associates only `AmazonEKSEditPolicy` or `AmazonEKSClusterAdminPolicy` to it: Kubernetes access for the tasks sharing that role',
    build: (context) => accessEntryForOwnRole(context, [EDIT_POLICY, CLUSTER_ADMIN_POLICY]),
  },
  'own-access-entry:view-or-edit': {
    summary:
      'as the above, associating only `AmazonEKSViewPolicy` (discovery) or `AmazonEKSEditPolicy` (removing annotations)',
    build: (context) => accessEntryForOwnRole(context, [VIEW_POLICY, EDIT_POLICY]),
  },
  'own-identity': {
    summary: 'of the task’s own role: its STS session names the role, whose ARN carries its path',
    build: ownIdentity,
  },
  'read-role-tags': {
    summary: 'of any role: a config names existing roles by ARN, and their tags opt them in',
    build: readRoleTags,
  },
  'read-roles': {
    summary: 'the trust, tags, boundary and policies of any role, before it is changed',
    build: readRoles,
  },
  'read-trust-of-any-role': {
    summary: 'of any role: the trust policy a migration step is checked against',
    build: readTrustOfAnyRole,
  },
  'read-customer-policies': {
    summary:
      'the documents of the account’s customer managed policies, never writing one: the guardrails judge a policy a config attaches by what it grants',
    build: readCustomerPolicies,
  },
  'write-managed-roles': {
    summary: `creates, changes and deletes roles under \`${ROLE_PATH}\` only; creates them and gives them policies only with the enforced permissions boundary, attaches no denied policy, and never removes a boundary`,
    build: writeManagedRoles,
  },
  'pass-roles-to-pod-identity': {
    summary: `to \`${POD_IDENTITY_SERVICE}\` only, of roles under \`${ROLE_PATH}\`, the guardrails' allowed patterns and roles carrying the opt-in tag`,
    build: passRolesToPodIdentity,
  },
  'pass-migratable-roles-to-pod-identity': {
    summary: `to \`${POD_IDENTITY_SERVICE}\` only, of the migratable roles (migratableRoleArnPatterns; by default eksctl's IRSA roles and opted-in roles, by tag)`,
    build: (context) => onMigratableRoles(context, ['iam:PassRole'], POD_IDENTITY_ONLY),
  },
  'edit-migratable-trust': {
    summary: 'reads any role’s trust, and rewrites the trust policy of the migratable roles only',
    build: editMigratableTrust,
  },
  'describe-eksctl-role-stacks': {
    summary: `eksctl's role stacks (${EKSCTL_ROLE_STACK_PATTERNS.map((pattern) => `\`${pattern}\``).join(', ')}) only: whether eksctl owns an association's role`,
    build: describeEksctlRoleStacks,
  },
  'delete-eksctl-role-stacks': {
    summary:
      'deletes eksctl’s role stack with its association, and the role deletion CloudFormation then makes with the task’s credentials, only through CloudFormation (`aws:CalledVia`)',
    build: deleteEksctlRoleStacks,
  },
  'edit-trust-through-eksctl-stacks': {
    summary: `change sets (\`${CHANGE_SET_PREFIX}*\`) on eksctl's role stacks, and the IAM calls CloudFormation then makes, only through CloudFormation and only on eksctl's IRSA roles: a role a stack owns is changed through its stack`,
    build: editTrustThroughEksctlStacks,
  },
  'list-oidc-providers': {
    summary: 'the cluster’s IRSA provider (`*`: no resource-level permissions)',
    build: listOidcProviders,
  },
  'count-account-roles': {
    summary:
      'the account’s role count and roles quota, and the names of the roles under the service’s path: a run refuses to start what the quota cannot hold',
    build: countAccountRoles,
  },
  'list-role-names': {
    summary:
      'lists the account’s roles (names, paths and trust policies, never tags; `*`: no resource-level permissions): a dry run tells which roles its creates would find already there',
    build: listRoleNames,
  },
  'discover-irsa-roles': {
    summary:
      'reads only: the cluster, its add-ons and which service accounts their versions take pod identity associations for, every role and the trust policy size quota, every stack (eksctl’s tags) and its resources (`*`: no resource-level permissions)',
    build: discoverIrsaRoles,
  },
  'guardrail-settings': {
    summary: 'no IAM: the deployment’s guardrails (`GUARDRAILS`), to check requests against',
    build: guardrailSettings,
  },
  'migratable-role-patterns': {
    summary:
      'no IAM: the deployment’s migratableRoleArnPatterns, when set, so that the plan leaves out roles the migration may not touch',
    build: migratableRolePatterns,
  },
};

/**
 * Calls a task's code makes that no grant allows, on purpose, with why: test/infra/aws-calls.test.ts
 * accepts them in a task's `awsCalls` without a grant, and the README's tables say so.
 */
export const UNGRANTED_CALLS: Readonly<Record<string, string>> = {
  'sts:GetCallerIdentity':
    'needs no permission: STS answers it for every caller, and no policy can deny it',
  'iam:DeleteRolePermissionsBoundary':
    'no task may lift a permissions boundary: reconciling a role removes its boundary only when the role should have none, and in a deployment every role the service creates should carry the enforced one; only a local run without guardrails lifts one',
};
