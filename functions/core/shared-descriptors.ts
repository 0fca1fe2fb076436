/**
 * Descriptors, and parts of them, that several tasks share because they run the same code against
 * AWS, for their contracts to export as their own. A task's bundle never reads its descriptor, and
 * esbuild leaves it out while it is plain data: a contract names what it takes from here, spreads
 * nothing, and marks its call of a function here with esbuild's `@__PURE__` comment (esbuild keeps
 * an unmarked call of another module's function).
 */
import type { ContractDescriptor } from './task-descriptor.ts';
import type { StatedWorstCase } from './timeout-budget.ts';

/**
 * A task that makes no request (read-cluster-event, load-migration-request) only computes: no
 * calls, no grants, 30 s.
 */
export function noRequestDescriptor(why: string): ContractDescriptor {
  return { timeoutSeconds: 30, worstCase: { sequentialCalls: 0, why }, awsCalls: [], grants: [] };
}

/** check-addon and check-cluster-readiness: a cluster, then one of its add-ons. */
export const addonCheckDescriptor: ContractDescriptor = {
  timeoutSeconds: 180,
  worstCase: {
    sequentialCalls: 2,
    why: 'DescribeCluster then DescribeAddon; one of them throttled through its retry chain.',
  },
  awsCalls: ['eks:DescribeAddon', 'eks:DescribeCluster'],
  grants: ['describe-clusters', 'describe-addons'],
};

/**
 * ensure-kubernetes-access and ensure-migration-access ensure an access entry for the role they
 * run as (functions/aws/access-entries.ts): the same work, for their own shared role and with the
 * access their workflow needs (`accessGrant`).
 */
export function ownAccessEntryDescriptor(
  sharedRole: string,
  accessGrant: `own-access-entry:${string}`,
): ContractDescriptor {
  return {
    timeoutSeconds: 180,
    worstCase: {
      sequentialCalls: 8,
      why: 'Its own identity, DescribeCluster, then describe/create the access entry and list/associate its policy; one throttled.',
    },
    sharedRole,
    awsCalls: [
      'eks:AssociateAccessPolicy',
      'eks:CreateAccessEntry',
      'eks:DescribeAccessEntry',
      'eks:DescribeCluster',
      'eks:ListAssociatedAccessPolicies',
      'iam:GetRole',
      'sts:GetCallerIdentity',
    ],
    grants: [accessGrant, 'own-identity'],
  };
}

/**
 * report-associations and report-migration: each reads its run's documents (the plan, every
 * batch's outcomes), writes the report beside them and announces the run's end; their worst cases
 * differ in what they read.
 */
export function runReportDescriptor(worstCase: StatedWorstCase): ContractDescriptor {
  return {
    timeoutSeconds: 300,
    worstCase,
    awsCalls: ['events:PutEvents', 's3:GetObject', 's3:PutObject'],
    grants: ['run-documents:read-write', 'publish-run-completed'],
  };
}

/**
 * report-fleet, report-fleet-migration and report-drift: each reads every cluster's outcome the
 * Map's record step kept (report-fleet and report-drift then the report of each cluster's nested
 * associations run, for its items), writes the report beside them and announces the run's end.
 */
export const clusterRunReportDescriptor: ContractDescriptor = /* @__PURE__ */ runReportDescriptor({
  sequentialCalls: 128,
  why: "Reads up to 500 cluster outcomes eight at a time (63 rounds), then each cluster's nested run's report eight at a time (63 more), writes the report and puts the event; one throttled.",
});

/**
 * apply-addons and apply-association-batch create, update and delete the roles they manage
 * through the same code (functions/aws/iam.ts): its IAM calls, one entry of their `awsCalls`.
 */
export const managedRoleCalls: readonly string[] = [
  'iam:AttachRolePolicy',
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteRolePolicy',
  'iam:DetachRolePolicy',
  'iam:GetRole',
  'iam:GetRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:ListRolePolicies',
  'iam:PutRolePermissionsBoundary',
  'iam:PutRolePolicy',
  'iam:TagRole',
  'iam:UpdateAssumeRolePolicy',
];

/**
 * add-pod-identity-trust and remove-oidc-trust: the tasks that edit a migration batch's trust
 * policies, making the same calls on the same roles, directly or through eksctl's stacks.
 */
export const trustEditDescriptor: ContractDescriptor = {
  timeoutSeconds: 600,
  worstCase: {
    sequentialCalls: 25,
    waitSeconds: 300,
    why: "50 roles on 5 lanes: 10 per lane, GetRole then UpdateAssumeRolePolicy, plus the plan and outcomes; one throttled. A role an eksctl stack owns goes through its stack: up to 180 s for an operation already under way to settle, then the change set and the update (about 2 minutes for one role). Waits on CloudFormation and EKS operations (functions/aws/polling.ts) end 30 s before this timeout, so an operation slower than that fails its item with 'run again' (a rerun waits for it to settle) instead of killing the invocation.",
  },
  awsCalls: [
    'cloudformation:CreateChangeSet',
    'cloudformation:DeleteChangeSet',
    'cloudformation:DescribeChangeSet',
    'cloudformation:DescribeStacks',
    'cloudformation:ExecuteChangeSet',
    'cloudformation:GetTemplate',
    'cloudformation:ListStackResources',
    'iam:GetRole',
    'iam:UpdateAssumeRolePolicy',
    's3:GetObject',
    's3:PutObject',
  ],
  grants: ['run-documents:read-write', 'edit-migratable-trust', 'edit-trust-through-eksctl-stacks'],
};
