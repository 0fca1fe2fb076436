/**
 * Pod Identity associations: Create/Describe/List/Update/DeletePodIdentityAssociation, with the
 * behaviours where client code trips on the real service — one association per service account
 * (409), roles that must exist in the cluster's account and that EKS sees only some calls after
 * IAM created them, the per-cluster quota, idempotent client request tokens, and associations
 * owned by an add-on that only the add-on may change.
 */
import * as z from 'zod';
import { SimError } from '../protocol.ts';
import type { SimulatorState } from '../state.ts';
import type { WorldAssociation, WorldCluster } from '../world.ts';
import {
  assertRoleTrustsPodIdentity,
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
  queryString,
  renderTimestamps,
  routes,
  stableUuid,
} from './eks-shared.ts';

/**
 * Set by the IAM service when CreateRole creates a role during the run: `state.count(key)`.
 * Its value is the role's generation (a role deleted and created again is new again to EKS).
 * Roles without it — every role of the initial world — are visible to EKS at once.
 */
export function iamCreatedKey(roleArn: string): string {
  return `iam:created:${roleArn}`;
}

/** EKS calls that named a role of a given generation (eventual consistency of new roles). */
export function roleSightingsKey(roleArn: string, generation: number): string {
  return `eks:role-sightings:${roleArn}#${generation}`;
}

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(.+)$/;

const ROLE_MISSING = 'Role provided in the request does not exist';
const CROSS_ACCOUNT = 'Cross-account pass role is not allowed';

/**
 * The checks EKS makes on a role it is asked to pass to pods: in the cluster's account, present
 * in IAM, already propagated to EKS, and trusting pods.eks.amazonaws.com. Each call that names a freshly created role counts as
 * one sighting; the first `roleVisibleToEksAfterCalls` of them fail as if the role did not exist.
 */
export function assertRoleUsable(state: SimulatorState, roleArn: string): void {
  const parsed = ROLE_ARN.exec(roleArn);
  if (roleArn.length === 0 || (parsed && parsed[2] !== state.account)) {
    throw invalidParameter(CROSS_ACCOUNT);
  }
  if (!parsed) throw invalidParameter(`${roleArn} is not a valid IAM role ARN`);
  const role = state.world.roles.find((candidate) => state.roleArn(candidate) === roleArn);
  if (!role) throw invalidParameter(ROLE_MISSING);
  const generation = state.peek(iamCreatedKey(roleArn));
  if (generation > 0) {
    const sightings = state.count(roleSightingsKey(roleArn, generation));
    if (sightings <= state.world.behaviour.roleVisibleToEksAfterCalls)
      throw invalidParameter(ROLE_MISSING);
  }
  assertRoleTrustsPodIdentity(state, roleArn, role.assumeRolePolicyDocument);
}

/** Shape only: a target role (or an add-on's IRSA role) may live in another account. */
export function assertRoleArnShape(roleArn: string | undefined): void {
  if (roleArn === undefined || roleArn === '') return;
  if (!ROLE_ARN.test(roleArn)) throw invalidParameter(`${roleArn} is not a valid IAM role ARN`);
}

/**
 * EKS's limit on a session policy (AWS's EKS limits: 2,048 characters). Counted in code points,
 * as Smithy length constraints count and as the product's config check does
 * (MAX_SESSION_POLICY_LENGTH in functions/core/config/rules.ts), so a config the product accepts
 * is one this accepts and the other way round.
 */
const MAX_SESSION_POLICY_LENGTH = 2048;

/** A constraint on the request itself: checked before anything about the cluster or association. */
function assertPolicyLength(policy: string | undefined): void {
  if (policy === undefined) return;
  const length = [...policy].length;
  if (length > MAX_SESSION_POLICY_LENGTH) {
    throw invalidParameter(
      `policy must be at most ${MAX_SESSION_POLICY_LENGTH} characters long, got ${length}`,
    );
  }
}

/** Session policies only apply without session tags (EKS rejects the combination). */
function assertPolicyAllowed(
  policy: string | undefined,
  disableSessionTags: boolean | undefined,
): void {
  if (policy === undefined || policy === '') return;
  if (disableSessionTags !== true) {
    throw invalidParameter('policy can only be specified when disableSessionTags is set to true');
  }
  try {
    JSON.parse(policy);
  } catch {
    throw invalidParameter('policy is not a valid JSON policy document');
  }
}

export function associationIdOf(association: WorldAssociation): string {
  // The simulator state assigns ids to seeded associations and this module to created ones.
  return association.associationId ?? '';
}

export function associationArn(
  state: SimulatorState,
  cluster: WorldCluster,
  association: WorldAssociation,
): string {
  return eksArn(state, `podidentityassociation/${cluster.name}/${associationIdOf(association)}`);
}

export function findAssociation(cluster: WorldCluster, namespace: string, serviceAccount: string) {
  return cluster.podIdentityAssociations.find(
    (association) =>
      association.namespace === namespace && association.serviceAccount === serviceAccount,
  );
}

export function associationExists(association: WorldAssociation): SimError {
  return inUse(`Association already exists: ${associationIdOf(association)}`);
}

export function assertAssociationQuota(
  state: SimulatorState,
  cluster: WorldCluster,
  adding: number,
): void {
  const limit = state.world.quotas.associationsPerCluster;
  if (cluster.podIdentityAssociations.length + adding > limit) {
    throw new SimError(
      'ResourceLimitExceededException',
      `Cluster ${cluster.name} has reached the limit of ${limit} pod identity associations`,
    );
  }
}

/** An association as a request gives it: the id is the simulator's to assign, the tags optional. */
export type NewAssociation = Omit<WorldAssociation, 'associationId' | 'tags'> &
  Partial<Pick<WorldAssociation, 'tags'>>;

/** Adds an association to the world; the caller has checked the role, conflicts and quota. */
export function addAssociation(
  state: SimulatorState,
  cluster: WorldCluster,
  fields: NewAssociation,
): WorldAssociation {
  const association: WorldAssociation = {
    namespace: fields.namespace,
    serviceAccount: fields.serviceAccount,
    roleArn: fields.roleArn,
    associationId: state.newId(
      'a-',
      `${cluster.name}/${fields.namespace}/${fields.serviceAccount}`,
    ),
    tags: fields.tags ?? {},
  };
  if (fields.targetRoleArn) association.targetRoleArn = fields.targetRoleArn;
  if (fields.disableSessionTags !== undefined)
    association.disableSessionTags = fields.disableSessionTags;
  if (fields.policy) association.policy = fields.policy;
  if (fields.ownerArn) association.ownerArn = fields.ownerArn;
  cluster.podIdentityAssociations.push(association);
  markCreated(association, state);
  return association;
}

export function removeAssociation(cluster: WorldCluster, association: WorldAssociation): void {
  cluster.podIdentityAssociations = cluster.podIdentityAssociations.filter(
    (candidate) => candidate !== association,
  );
}

/**
 * EKS generates the external ID for the target role's trust policy. Deriving it from the
 * association keeps it stable across describes and across a dump and reload.
 */
function externalIdOf(cluster: WorldCluster, association: WorldAssociation): string {
  return stableUuid(`external-id/${cluster.name}/${associationIdOf(association)}`);
}

function renderAssociation(
  state: SimulatorState,
  cluster: WorldCluster,
  association: WorldAssociation,
) {
  return {
    clusterName: cluster.name,
    namespace: association.namespace,
    serviceAccount: association.serviceAccount,
    roleArn: association.roleArn,
    associationArn: associationArn(state, cluster, association),
    associationId: associationIdOf(association),
    tags: association.tags,
    ...renderTimestamps(association),
    ownerArn: association.ownerArn,
    disableSessionTags: association.disableSessionTags ?? false,
    targetRoleArn: association.targetRoleArn,
    externalId: association.targetRoleArn ? externalIdOf(cluster, association) : undefined,
    policy: association.policy,
  };
}

/** Tokens seen per simulator: a retried create with the same token and input is not a conflict. */
const requestTokens = new WeakMap<
  SimulatorState,
  Map<string, { fingerprint: string; association: WorldAssociation }>
>();

function tokensOf(state: SimulatorState) {
  let tokens = requestTokens.get(state);
  if (!tokens) {
    tokens = new Map();
    requestTokens.set(state, tokens);
  }
  return tokens;
}

function requireAssociation(cluster: WorldCluster, associationId: string): WorldAssociation {
  const association = cluster.podIdentityAssociations.find(
    (candidate) => associationIdOf(candidate) === associationId,
  );
  if (!association) {
    throw notFound(
      `No Pod Identity Association found for id: ${associationId} in cluster: ${cluster.name}`,
    );
  }
  return association;
}

function assertNotOwned(association: WorldAssociation, action: string): void {
  if (association.ownerArn) {
    throw invalidRequest(
      `Cannot ${action} pod identity association ${associationIdOf(association)}: it is owned by the add-on ` +
        `${association.ownerArn}; change it through UpdateAddon or DeleteAddon`,
    );
  }
}

function decodeAssociationId(labels: Record<string, string>): string {
  const associationId = labels.associationId ?? '';
  if (associationId.length !== 19) {
    throw invalidParameter('The parameter associationId should be 19 characters long.');
  }
  return associationId;
}

const createBody = z.object({
  namespace: z.string().min(1),
  serviceAccount: z.string().min(1),
  roleArn: z.string(),
  clientRequestToken: z.string().min(1).max(64).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  disableSessionTags: z.boolean().optional(),
  targetRoleArn: z.string().optional(),
  policy: z.string().optional(),
});

const updateBody = z.object({
  roleArn: z.string().optional(),
  clientRequestToken: z.string().min(1).max(64).optional(),
  disableSessionTags: z.boolean().optional(),
  targetRoleArn: z.string().optional(),
  policy: z.string().optional(),
});

export const podIdentityRoutes = routes({
  CreatePodIdentityAssociation: clusterRoute({
    http: 'POST /clusters/:clusterName/pod-identity-associations',
    decode: (request) => {
      const body = decodeBody(request, createBody);
      assertTags(body.tags);
      assertRoleArnShape(body.targetRoleArn);
      assertPolicyLength(body.policy);
      assertPolicyAllowed(body.policy, body.disableSessionTags);
      return body;
    },
    run: ({ clientRequestToken, ...fields }, cluster, { state }) => {
      const fingerprint = JSON.stringify(fields);
      const tokenKey =
        clientRequestToken === undefined ? undefined : `${cluster.name}/${clientRequestToken}`;
      const previous = tokenKey === undefined ? undefined : tokensOf(state).get(tokenKey);
      if (previous && cluster.podIdentityAssociations.includes(previous.association)) {
        if (previous.fingerprint !== fingerprint) {
          throw invalidParameter(
            `The client request token ${clientRequestToken} was already used with different parameters`,
          );
        }
        return { association: renderAssociation(state, cluster, previous.association) };
      }
      assertRoleUsable(state, fields.roleArn);
      const existing = findAssociation(cluster, fields.namespace, fields.serviceAccount);
      if (existing) throw associationExists(existing);
      assertAssociationQuota(state, cluster, 1);
      const association = addAssociation(state, cluster, fields);
      if (tokenKey !== undefined) tokensOf(state).set(tokenKey, { fingerprint, association });
      return { association: renderAssociation(state, cluster, association) };
    },
  }),
  ListPodIdentityAssociations: clusterRoute({
    http: 'GET /clusters/:clusterName/pod-identity-associations',
    decode: (request) => ({
      namespace: queryString(request, 'namespace'),
      serviceAccount: queryString(request, 'serviceAccount'),
      page: decodePage(request),
    }),
    run: ({ namespace, serviceAccount, page }, cluster, { state }) => {
      const matching = cluster.podIdentityAssociations.filter(
        (association) =>
          (namespace === undefined || association.namespace === namespace) &&
          (serviceAccount === undefined || association.serviceAccount === serviceAccount),
      );
      const result = paginate(
        matching,
        (association) => `${association.namespace}/${association.serviceAccount}`,
        page,
      );
      return {
        // The real summaries carry no roleArn: an inventory needs one Describe per association.
        associations: result.items.map((association) => ({
          clusterName: cluster.name,
          namespace: association.namespace,
          serviceAccount: association.serviceAccount,
          associationArn: associationArn(state, cluster, association),
          associationId: associationIdOf(association),
          ownerArn: association.ownerArn,
        })),
        nextToken: result.nextToken,
      };
    },
  }),
  DescribePodIdentityAssociation: clusterRoute({
    http: 'GET /clusters/:clusterName/pod-identity-associations/:associationId',
    decode: (_request, labels) => decodeAssociationId(labels),
    run: (associationId, cluster, { state }) => {
      const association = requireAssociation(cluster, associationId);
      return { association: renderAssociation(state, cluster, association) };
    },
  }),
  UpdatePodIdentityAssociation: clusterRoute({
    http: 'POST /clusters/:clusterName/pod-identity-associations/:associationId',
    decode: (request, labels) => {
      const body = decodeBody(request, updateBody);
      const { clientRequestToken: _token, ...changes } = body;
      if (Object.values(changes).every((value) => value === undefined)) {
        throw invalidParameter(
          'At least one of roleArn, targetRoleArn, disableSessionTags or policy must be provided',
        );
      }
      assertRoleArnShape(changes.targetRoleArn);
      assertPolicyLength(changes.policy);
      return { associationId: decodeAssociationId(labels), changes };
    },
    run: ({ associationId, changes }, cluster, { state }) => {
      const association = requireAssociation(cluster, associationId);
      assertNotOwned(association, 'update');
      const disableSessionTags = changes.disableSessionTags ?? association.disableSessionTags;
      // An empty string removes a target role or session policy, as in the real API.
      const policy =
        changes.policy === undefined ? association.policy : changes.policy || undefined;
      const targetRoleArn =
        changes.targetRoleArn === undefined
          ? association.targetRoleArn
          : changes.targetRoleArn || undefined;
      assertPolicyAllowed(policy, disableSessionTags);
      if (changes.roleArn !== undefined) {
        assertRoleUsable(state, changes.roleArn);
        association.roleArn = changes.roleArn;
      }
      if (disableSessionTags === undefined) delete association.disableSessionTags;
      else association.disableSessionTags = disableSessionTags;
      if (policy === undefined) delete association.policy;
      else association.policy = policy;
      if (targetRoleArn === undefined) delete association.targetRoleArn;
      else association.targetRoleArn = targetRoleArn;
      markModified(association, state);
      return { association: renderAssociation(state, cluster, association) };
    },
  }),
  DeletePodIdentityAssociation: clusterRoute({
    http: 'DELETE /clusters/:clusterName/pod-identity-associations/:associationId',
    decode: (_request, labels) => decodeAssociationId(labels),
    run: (associationId, cluster, { state }) => {
      const association = requireAssociation(cluster, associationId);
      assertNotOwned(association, 'delete');
      removeAssociation(cluster, association);
      return { association: renderAssociation(state, cluster, association) };
    },
  }),
});
