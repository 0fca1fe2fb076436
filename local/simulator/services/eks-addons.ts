/**
 * Add-ons: Create/Describe/List/Update/DeleteAddon. A created or updated add-on settles after
 * `behaviour.addonDescribesUntilSettled` DescribeAddon calls into `behaviour.addonSettlesAs[name]`
 * (ACTIVE by default), counted rather than timed. Pod identity associations requested through an
 * add-on are created in the cluster with the add-on's ARN as their owner.
 */
import * as z from 'zod';
import type { SimulatorState } from '../state.ts';
import type { WorldAddon, WorldAddonVersion, WorldCluster } from '../world.ts';
import { defaultAddonNamespace, resolveAddonVersion } from './eks-catalogue.ts';
import {
  addAssociation,
  assertAssociationQuota,
  assertRoleArnShape,
  assertRoleUsable,
  associationArn,
  associationExists,
  findAssociation,
  removeAssociation,
} from './eks-pod-identity.ts';
import {
  assertTags,
  clusterRoute,
  decodeBody,
  decodePage,
  eksArn,
  epochSeconds,
  inUse,
  invalidParameter,
  markCreated,
  markModified,
  notFound,
  paginate,
  queryBoolean,
  renderTimestamps,
  routes,
  stableUuid,
} from './eks-shared.ts';

/** DescribeAddon calls that saw an add-on while it was CREATING or UPDATING. */
export function addonDescribesKey(clusterName: string, addonName: string): string {
  return `eks:addon-describes:${clusterName}/${addonName}`;
}

/** Derived from cluster and add-on name, so owner ARNs in a dumped world still match after reload. */
export function addonArn(state: SimulatorState, cluster: WorldCluster, addonName: string): string {
  return eksArn(
    state,
    `addon/${cluster.name}/${addonName}/${stableUuid(`addon/${cluster.name}/${addonName}`)}`,
  );
}

/** CreateAddon's namespaceConfig is not part of the world file; it lives beside the add-on. */
const namespaceByAddon = new WeakMap<WorldAddon, string>();

function addonNamespace(state: SimulatorState, cluster: WorldCluster, addon: WorldAddon): string {
  const configured = namespaceByAddon.get(addon);
  if (configured) return configured;
  const owner = addonArn(state, cluster, addon.name);
  const owned = cluster.podIdentityAssociations.find(
    (association) => association.ownerArn === owner,
  );
  return owned?.namespace ?? defaultAddonNamespace(addon.name);
}

const SETTLING = new Set(['CREATING', 'UPDATING']);

/**
 * The first `addonDescribesUntilSettled` describes see the add-on still CREATING/UPDATING; the
 * next one sees where it settles. A failed update reads UPDATE_FAILED rather than CREATE_FAILED.
 */
function settle(state: SimulatorState, cluster: WorldCluster, addon: WorldAddon): void {
  if (!SETTLING.has(addon.status)) return;
  const key = addonDescribesKey(cluster.name, addon.name);
  const behaviour = state.world.behaviour;
  if (state.count(key) <= behaviour.addonDescribesUntilSettled) return;
  const outcome = behaviour.addonSettlesAs[addon.name] ?? 'ACTIVE';
  addon.status =
    addon.status === 'UPDATING' && outcome === 'CREATE_FAILED' ? 'UPDATE_FAILED' : outcome;
  state.reset(key);
  markModified(addon, state);
}

function healthIssues(addon: WorldAddon) {
  switch (addon.status) {
    case 'CREATE_FAILED':
    case 'UPDATE_FAILED':
      return [
        {
          code: 'ConfigurationConflict',
          message:
            'Conflicts found when trying to apply. Will not continue due to resolve conflicts mode. ' +
            `Conflicts: DaemonSet.apps ${addon.name} - .spec.template.spec.containers`,
          resourceIds: [],
        },
      ];
    case 'DEGRADED':
      return [
        {
          code: 'InsufficientNumberOfReplicas',
          message:
            "The add-on is unhealthy because it doesn't have the desired number of replicas.",
          resourceIds: [],
        },
      ];
    default:
      return [];
  }
}

function renderAddon(state: SimulatorState, cluster: WorldCluster, addon: WorldAddon) {
  const arn = addonArn(state, cluster, addon.name);
  const namespace = namespaceByAddon.get(addon);
  return {
    addonName: addon.name,
    clusterName: cluster.name,
    status: addon.status,
    addonVersion: addon.version,
    health: { issues: healthIssues(addon) },
    addonArn: arn,
    ...renderTimestamps(addon),
    serviceAccountRoleArn: addon.serviceAccountRoleArn,
    tags: addon.tags,
    publisher: 'eks',
    owner: 'aws',
    configurationValues: addon.configurationValues,
    podIdentityAssociations: cluster.podIdentityAssociations
      .filter((association) => association.ownerArn === arn)
      .map((association) => associationArn(state, cluster, association)),
    ...(namespace === undefined ? {} : { namespaceConfig: { namespace } }),
  };
}

function requireAddon(cluster: WorldCluster, addonName: string): WorldAddon {
  const addon = cluster.addons.find((candidate) => candidate.name === addonName);
  if (!addon) throw notFound(`No addon: ${addonName} found in cluster: ${cluster.name}`);
  return addon;
}

interface AddonAssociationInput {
  serviceAccount: string;
  roleArn: string;
}

/**
 * Checks a requested set of add-on associations against the catalogue, IAM and the cluster's
 * existing associations, before anything changes.
 */
function assertAddonAssociations(
  state: SimulatorState,
  cluster: WorldCluster,
  release: WorldAddonVersion,
  namespace: string,
  ownerArn: string,
  requested: AddonAssociationInput[],
): void {
  if (requested.length === 0) return;
  if (release.podIdentityServiceAccounts.length === 0) {
    throw invalidParameter(
      `Pod Identity feature is not supported for addon version ${release.addonVersion} of ${release.addonName}`,
    );
  }
  const supported = new Set(
    release.podIdentityServiceAccounts.map((account) => account.serviceAccount),
  );
  const seen = new Set<string>();
  let adding = 0;
  for (const { serviceAccount, roleArn } of requested) {
    if (!supported.has(serviceAccount)) {
      throw invalidParameter(
        `Service account ${serviceAccount} in pod identity configuration is not supported for addon ${release.addonName}`,
      );
    }
    if (seen.has(serviceAccount)) {
      throw invalidParameter(
        `Service account ${serviceAccount} appears more than once in podIdentityAssociations`,
      );
    }
    seen.add(serviceAccount);
    // Checks the role's trust for pods.eks.amazonaws.com as well, as EKS does for add-ons too.
    assertRoleUsable(state, roleArn);
    const existing = findAssociation(cluster, namespace, serviceAccount);
    if (existing && existing.ownerArn !== ownerArn) throw associationExists(existing);
    if (!existing) adding += 1;
  }
  assertAssociationQuota(state, cluster, adding);
}

/** Makes the add-on's owned associations exactly `requested` (UpdateAddon replaces the whole set). */
function applyAddonAssociations(
  state: SimulatorState,
  cluster: WorldCluster,
  addon: WorldAddon,
  namespace: string,
  requested: AddonAssociationInput[],
): void {
  const ownerArn = addonArn(state, cluster, addon.name);
  const wanted = new Set(requested.map((entry) => entry.serviceAccount));
  for (const association of cluster.podIdentityAssociations.filter(
    (candidate) => candidate.ownerArn === ownerArn,
  )) {
    if (!wanted.has(association.serviceAccount)) removeAssociation(cluster, association);
  }
  for (const { serviceAccount, roleArn } of requested) {
    const existing = findAssociation(cluster, namespace, serviceAccount);
    if (existing) {
      if (existing.roleArn !== roleArn) {
        existing.roleArn = roleArn;
        markModified(existing, state);
      }
    } else {
      addAssociation(state, cluster, { namespace, serviceAccount, roleArn, ownerArn });
    }
  }
  if (requested.length > 0)
    addon.podIdentityAssociations = requested.map((entry) => ({ ...entry }));
  else delete addon.podIdentityAssociations;
}

const associationsInput = z.array(
  z.object({ serviceAccount: z.string().min(1), roleArn: z.string() }),
);
const resolveConflicts = z.enum(['OVERWRITE', 'NONE', 'PRESERVE']);

const createBody = z.object({
  addonName: z.string().min(1),
  addonVersion: z.string().min(1).optional(),
  serviceAccountRoleArn: z.string().optional(),
  resolveConflicts: resolveConflicts.optional(),
  clientRequestToken: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  configurationValues: z.string().optional(),
  podIdentityAssociations: associationsInput.optional(),
  namespaceConfig: z.object({ namespace: z.string().min(1) }).optional(),
});

const updateBody = z.object({
  addonVersion: z.string().min(1).optional(),
  serviceAccountRoleArn: z.string().optional(),
  resolveConflicts: resolveConflicts.optional(),
  clientRequestToken: z.string().optional(),
  configurationValues: z.string().optional(),
  podIdentityAssociations: associationsInput.optional(),
});

export const addonRoutes = routes({
  CreateAddon: clusterRoute({
    http: 'POST /clusters/:clusterName/addons',
    decode: (request) => {
      const body = decodeBody(request, createBody);
      assertTags(body.tags);
      assertRoleArnShape(body.serviceAccountRoleArn);
      return body;
    },
    run: (input, cluster, { state }) => {
      if (cluster.addons.some((addon) => addon.name === input.addonName))
        throw inUse('Addon already exists.');
      const release = resolveAddonVersion(
        state,
        input.addonName,
        input.addonVersion,
        cluster.version,
      );
      const namespace = input.namespaceConfig?.namespace ?? defaultAddonNamespace(input.addonName);
      const ownerArn = addonArn(state, cluster, input.addonName);
      const requested = input.podIdentityAssociations ?? [];
      assertAddonAssociations(state, cluster, release, namespace, ownerArn, requested);
      const addon: WorldAddon = {
        name: input.addonName,
        version: release.addonVersion,
        status: 'CREATING',
        tags: input.tags ?? {},
      };
      if (input.serviceAccountRoleArn) addon.serviceAccountRoleArn = input.serviceAccountRoleArn;
      if (input.configurationValues) addon.configurationValues = input.configurationValues;
      if (input.namespaceConfig) namespaceByAddon.set(addon, input.namespaceConfig.namespace);
      cluster.addons.push(addon);
      markCreated(addon, state);
      state.reset(addonDescribesKey(cluster.name, addon.name));
      applyAddonAssociations(state, cluster, addon, namespace, requested);
      return { addon: renderAddon(state, cluster, addon) };
    },
  }),
  ListAddons: clusterRoute({
    http: 'GET /clusters/:clusterName/addons',
    decode: (request) => decodePage(request),
    run: (page, cluster) => {
      const result = paginate(
        cluster.addons.map((addon) => addon.name),
        (name) => name,
        page,
      );
      return { addons: result.items, nextToken: result.nextToken };
    },
  }),
  DescribeAddon: clusterRoute({
    http: 'GET /clusters/:clusterName/addons/:addonName',
    decode: (_request, labels) => labels.addonName ?? '',
    run: (addonName, cluster, { state }) => {
      const addon = requireAddon(cluster, addonName);
      settle(state, cluster, addon);
      return { addon: renderAddon(state, cluster, addon) };
    },
  }),
  UpdateAddon: clusterRoute({
    http: 'POST /clusters/:clusterName/addons/:addonName/update',
    decode: (request, labels) => {
      const body = decodeBody(request, updateBody);
      assertRoleArnShape(body.serviceAccountRoleArn);
      return { addonName: labels.addonName ?? '', ...body };
    },
    run: (input, cluster, { state }) => {
      const addon = requireAddon(cluster, input.addonName);
      if (SETTLING.has(addon.status) || addon.status === 'DELETING') {
        throw inUse(
          `Addon ${addon.name} is in status ${addon.status} and cannot be updated until it settles`,
        );
      }
      const namespace = addonNamespace(state, cluster, addon);
      // A world may seed a version outside the catalogue; it only matters once the update needs it.
      if (input.addonVersion !== undefined || input.podIdentityAssociations) {
        const release = resolveAddonVersion(
          state,
          addon.name,
          input.addonVersion ?? addon.version,
          cluster.version,
        );
        if (input.podIdentityAssociations) {
          const ownerArn = addonArn(state, cluster, addon.name);
          assertAddonAssociations(
            state,
            cluster,
            release,
            namespace,
            ownerArn,
            input.podIdentityAssociations,
          );
        }
        addon.version = release.addonVersion;
      }
      // An empty serviceAccountRoleArn removes the IRSA role from the add-on.
      if (input.serviceAccountRoleArn === '') delete addon.serviceAccountRoleArn;
      else if (input.serviceAccountRoleArn !== undefined)
        addon.serviceAccountRoleArn = input.serviceAccountRoleArn;
      if (input.configurationValues !== undefined)
        addon.configurationValues = input.configurationValues;
      if (input.podIdentityAssociations) {
        applyAddonAssociations(state, cluster, addon, namespace, input.podIdentityAssociations);
      }
      addon.status = 'UPDATING';
      state.reset(addonDescribesKey(cluster.name, addon.name));
      markModified(addon, state);
      const params = [
        { type: 'AddonVersion', value: input.addonVersion },
        { type: 'ServiceAccountRoleArn', value: input.serviceAccountRoleArn },
        { type: 'ResolveConflicts', value: input.resolveConflicts },
        { type: 'ConfigurationValues', value: input.configurationValues },
        {
          type: 'PodIdentityAssociations',
          value: input.podIdentityAssociations && JSON.stringify(input.podIdentityAssociations),
        },
      ].filter((param) => param.value !== undefined);
      return {
        update: {
          id: stableUuid(`update/${state.newId('', `${cluster.name}/${addon.name}`)}`),
          status: 'InProgress',
          type: 'AddonUpdate',
          params,
          createdAt: epochSeconds(state.now()),
          errors: [],
        },
      };
    },
  }),
  DeleteAddon: clusterRoute({
    http: 'DELETE /clusters/:clusterName/addons/:addonName',
    decode: (request, labels) => ({
      addonName: labels.addonName ?? '',
      preserve: queryBoolean(request, 'preserve'),
    }),
    run: ({ addonName, preserve }, cluster, { state }) => {
      const addon = requireAddon(cluster, addonName);
      const rendered = { ...renderAddon(state, cluster, addon), status: 'DELETING' };
      const ownerArn = addonArn(state, cluster, addon.name);
      for (const association of cluster.podIdentityAssociations.filter(
        (candidate) => candidate.ownerArn === ownerArn,
      )) {
        // Preserved add-on software keeps its credentials; the associations become standalone.
        if (preserve) delete association.ownerArn;
        else removeAssociation(cluster, association);
      }
      cluster.addons = cluster.addons.filter((candidate) => candidate !== addon);
      state.reset(addonDescribesKey(cluster.name, addon.name));
      return { addon: rendered };
    },
  }),
});
