/**
 * Access entries: CreateAccessEntry, DescribeAccessEntry, AssociateAccessPolicy and
 * ListAssociatedAccessPolicies. They are kept in the world's `accessEntries`, which the simulated
 * Kubernetes API reads to decide who may do what. A cluster in CONFIG_MAP mode has no access
 * entries at all, as on EKS.
 */
import * as z from 'zod';
import type { SimulatorState } from '../state.ts';
import type { WorldAccessEntry, WorldCluster } from '../world.ts';
import {
  assertTags,
  clusterRoute,
  decodeBody,
  decodePage,
  eksArn,
  inUse,
  invalidParameter,
  invalidRequest,
  markCreated,
  markModified,
  notFound,
  paginate,
  renderTimestamps,
  routes,
  stableUuid,
} from './eks-shared.ts';

const PRINCIPAL_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):(role|user)\/(?:.*\/)?([^/]+)$/;
const ACCESS_POLICY_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):eks::aws:cluster-access-policy\/([A-Za-z0-9]+)$/;

/** The cluster access policies EKS offers (the first five are the Kubernetes-role ones). */
const ACCESS_POLICIES = new Set([
  'AmazonEKSClusterAdminPolicy',
  'AmazonEKSAdminPolicy',
  'AmazonEKSEditPolicy',
  'AmazonEKSViewPolicy',
  'AmazonEKSAdminViewPolicy',
  'AmazonEKSAutoNodePolicy',
  'AmazonEKSBlockStoragePolicy',
  'AmazonEKSComputePolicy',
  'AmazonEKSLoadBalancingPolicy',
  'AmazonEKSNetworkingPolicy',
]);

const ENTRY_TYPES = [
  'STANDARD',
  'FARGATE_LINUX',
  'EC2_LINUX',
  'EC2_WINDOWS',
  'EC2',
  'HYBRID_LINUX',
  'HYPERPOD_LINUX',
];

function assertAccessEntriesEnabled(cluster: WorldCluster): void {
  if (cluster.authenticationMode === 'CONFIG_MAP') {
    throw invalidRequest(
      "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
    );
  }
}

function requireEntry(cluster: WorldCluster, principalArn: string): WorldAccessEntry {
  const entry = cluster.accessEntries.find((candidate) => candidate.principalArn === principalArn);
  if (!entry) {
    throw notFound(
      "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.",
    );
  }
  return entry;
}

function principalParts(principalArn: string) {
  const match = PRINCIPAL_ARN.exec(principalArn);
  return match
    ? { account: match[2] ?? '', kind: match[3] ?? '', name: match[4] ?? '' }
    : undefined;
}

/**
 * EKS refuses an access entry for a role of its own account that IAM does not have (the world
 * holds no IAM users, so a user is taken as existing; another account's principal is IAM's to
 * resolve there).
 */
function assertPrincipalExists(state: SimulatorState, principalArn: string): void {
  const parts = principalParts(principalArn);
  if (parts?.kind !== 'role' || parts.account !== state.account) return;
  if (!state.world.roles.some((role) => state.roleArn(role) === principalArn)) {
    throw invalidParameter('The specified principalArn is invalid: invalid principal');
  }
}

/** EKS maps a role to its assumed-role session and a user to its own ARN unless told otherwise. */
function defaultUsername(state: SimulatorState, principalArn: string): string {
  const parts = principalParts(principalArn);
  if (parts?.kind === 'role') {
    return `arn:${state.partition}:sts::${parts.account}:assumed-role/${parts.name}/{{SessionName}}`;
  }
  return principalArn;
}

function renderEntry(state: SimulatorState, cluster: WorldCluster, entry: WorldAccessEntry) {
  const parts = principalParts(entry.principalArn);
  const uuid = stableUuid(`access-entry/${cluster.name}/${entry.principalArn}`);
  return {
    clusterName: cluster.name,
    principalArn: entry.principalArn,
    kubernetesGroups: entry.kubernetesGroups,
    accessEntryArn: eksArn(
      state,
      `access-entry/${cluster.name}/${parts?.kind ?? 'role'}/${parts?.account ?? state.account}/${parts?.name ?? ''}/${uuid}`,
    ),
    ...renderTimestamps(entry),
    tags: entry.tags,
    username: entry.username ?? defaultUsername(state, entry.principalArn),
    type: entry.type,
  };
}

type WorldAccessPolicy = WorldAccessEntry['policies'][number];

function renderPolicy(policy: WorldAccessPolicy) {
  const { createdAt, modifiedAt } = renderTimestamps(policy);
  return {
    policyArn: policy.policyArn,
    accessScope:
      policy.scope === 'cluster'
        ? { type: 'cluster', namespaces: [] }
        : { type: 'namespace', namespaces: policy.scope.namespaces },
    associatedAt: createdAt,
    modifiedAt,
  };
}

const createBody = z.object({
  principalArn: z.string().min(1),
  kubernetesGroups: z.array(z.string().min(1)).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  clientRequestToken: z.string().optional(),
  username: z.string().min(1).optional(),
  type: z.enum(ENTRY_TYPES).optional(),
});

const associateBody = z.object({
  policyArn: z.string().min(1),
  accessScope: z.object({
    type: z.enum(['cluster', 'namespace']),
    namespaces: z.array(z.string().min(1)).optional(),
  }),
});

export const accessRoutes = routes({
  CreateAccessEntry: clusterRoute({
    http: 'POST /clusters/:clusterName/access-entries',
    decode: (request) => {
      const body = decodeBody(request, createBody);
      if (!principalParts(body.principalArn)) {
        throw invalidParameter(
          `The principalArn ${body.principalArn} is not a valid IAM role or user ARN`,
        );
      }
      const type = body.type ?? 'STANDARD';
      if (
        type !== 'STANDARD' &&
        (body.username !== undefined || (body.kubernetesGroups ?? []).length > 0)
      ) {
        throw invalidParameter(
          `An access entry of type ${type} cannot have a username or kubernetesGroups`,
        );
      }
      const reserved = (body.kubernetesGroups ?? []).find((group) => group.startsWith('system:'));
      if (reserved)
        throw invalidParameter(
          `The kubernetes group name ${reserved} is invalid, it cannot start with system:`,
        );
      assertTags(body.tags);
      return { ...body, type };
    },
    run: (input, cluster, { state }) => {
      assertAccessEntriesEnabled(cluster);
      assertPrincipalExists(state, input.principalArn);
      if (cluster.accessEntries.some((entry) => entry.principalArn === input.principalArn)) {
        throw inUse('The specified access entry resource is already in use on this cluster.');
      }
      const entry: WorldAccessEntry = {
        principalArn: input.principalArn,
        type: input.type,
        kubernetesGroups: input.kubernetesGroups ?? [],
        policies: [],
        tags: input.tags ?? {},
      };
      if (input.username !== undefined) entry.username = input.username;
      cluster.accessEntries.push(entry);
      markCreated(entry, state);
      return { accessEntry: renderEntry(state, cluster, entry) };
    },
  }),
  DescribeAccessEntry: clusterRoute({
    http: 'GET /clusters/:clusterName/access-entries/:principalArn',
    decode: (_request, labels) => labels.principalArn ?? '',
    run: (principalArn, cluster, { state }) => {
      assertAccessEntriesEnabled(cluster);
      return { accessEntry: renderEntry(state, cluster, requireEntry(cluster, principalArn)) };
    },
  }),
  AssociateAccessPolicy: clusterRoute({
    http: 'POST /clusters/:clusterName/access-entries/:principalArn/access-policies',
    decode: (request, labels) => {
      const body = decodeBody(request, associateBody);
      const policyName = ACCESS_POLICY_ARN.exec(body.policyArn)?.[2];
      if (policyName === undefined || !ACCESS_POLICIES.has(policyName)) {
        throw invalidParameter(`The policy ${body.policyArn} is not a valid cluster access policy`);
      }
      const namespaces = body.accessScope.namespaces ?? [];
      if (body.accessScope.type === 'cluster' && namespaces.length > 0) {
        throw invalidParameter(
          'namespaces can only be specified with an access scope of type namespace',
        );
      }
      if (body.accessScope.type === 'namespace' && namespaces.length === 0) {
        throw invalidParameter('An access scope of type namespace needs at least one namespace');
      }
      const scope: WorldAccessPolicy['scope'] =
        body.accessScope.type === 'cluster' ? 'cluster' : { namespaces };
      return { principalArn: labels.principalArn ?? '', policyArn: body.policyArn, scope };
    },
    run: ({ principalArn, policyArn, scope }, cluster, { state }) => {
      assertAccessEntriesEnabled(cluster);
      const entry = requireEntry(cluster, principalArn);
      if (entry.type !== 'STANDARD') {
        throw invalidParameter(
          `Access policies cannot be associated with an access entry of type ${entry.type}`,
        );
      }
      // Associating a policy again replaces its scope.
      let policy = entry.policies.find((candidate) => candidate.policyArn === policyArn);
      if (policy) {
        policy.scope = scope;
        markModified(policy, state);
      } else {
        policy = { policyArn, scope };
        entry.policies.push(policy);
        markCreated(policy, state);
      }
      return {
        clusterName: cluster.name,
        principalArn,
        associatedAccessPolicy: renderPolicy(policy),
      };
    },
  }),
  ListAssociatedAccessPolicies: clusterRoute({
    http: 'GET /clusters/:clusterName/access-entries/:principalArn/access-policies',
    decode: (request, labels) => ({
      principalArn: labels.principalArn ?? '',
      page: decodePage(request),
    }),
    run: ({ principalArn, page }, cluster) => {
      assertAccessEntriesEnabled(cluster);
      const entry = requireEntry(cluster, principalArn);
      const result = paginate(entry.policies, (policy) => policy.policyArn, page);
      return {
        clusterName: cluster.name,
        principalArn,
        associatedAccessPolicies: result.items.map(renderPolicy),
        nextToken: result.nextToken,
      };
    },
  }),
});
