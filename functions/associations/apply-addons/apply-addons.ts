/**
 * The `addons:` section of a run: gathers what EKS and IAM say about every listed add-on, refuses
 * the whole run before any change when one of them cannot be applied (unknown name or version, a
 * version without pod identity support, a service account the add-on does not take), then makes
 * each add-on match: roles first, then CreateAddon / UpdateAddon with its podIdentityAssociations,
 * then the roles of associations the add-on no longer has. A dry run stops after deciding.
 */
import { createHash } from 'node:crypto';
import type { AddonWrite } from '../../aws/addons.ts';
import {
  type AddonVersionCandidate,
  chooseAddonVersion,
  unofferedAddonVersion,
} from '../../core/addon.ts';
import {
  type AddonDecision,
  type AddonFacts,
  type AddonResult,
  type AddonResultKind,
  AddonValidationError,
  type DesiredAddon,
  decideAddon,
  type ExistingAddon,
  type PodIdentityServiceAccount,
  roleNamesToRead,
} from '../../core/addon-plan.ts';
import type { ManagedRole } from '../../core/associations/desired.ts';
import type { ExistingRole } from '../../core/associations/existing.ts';
import type { RoleChanges } from '../../core/associations/plan.ts';
import type { AssociationRequest } from '../../core/associations/request.ts';
import type { ConfigIssue } from '../../core/config/index.ts';
import { isOwnedBy, roleNameFor } from '../../core/naming.ts';

export interface ApplyAddonsDeps {
  loadAssociationRequest(runId: string): Promise<AssociationRequest>;
  describeCluster(name: string): Promise<{ version: string; ipFamily: string } | undefined>;
  catalogue(
    addonName: string,
    kubernetesVersion: string,
  ): Promise<{ candidates: AddonVersionCandidate[]; defaultNamespace: string | undefined }>;
  podIdentityConfiguration(
    addonName: string,
    addonVersion: string,
  ): Promise<{ accounts: PodIdentityServiceAccount[] } | { refused: string }>;
  describeAddon(clusterName: string, addonName: string): Promise<ExistingAddon | undefined>;
  /** Whether any association (the add-on's or a standalone one) exists for the service account. */
  hasAssociation(clusterName: string, namespace: string, serviceAccount: string): Promise<boolean>;
  getRole(roleName: string): Promise<ExistingRole | undefined>;
  createRole(role: ManagedRole): Promise<{ arn: string }>;
  reconcileRole(roleName: string, changes: RoleChanges): Promise<void>;
  deleteRole(roleName: string): Promise<unknown>;
  createAddon(
    input: AddonWrite & { tags: Record<string, string>; clientRequestToken: string },
  ): Promise<'created' | 'exists'>;
  updateAddon(input: AddonWrite): Promise<void>;
  saveResults(runId: string, results: AddonResult[]): Promise<string>;
}

export interface ApplyAddonsSummary {
  addonCount: number;
  failed: number;
}

const FALLBACK_NAMESPACE = 'kube-system';

async function gatherFacts(
  addon: DesiredAddon,
  clusterName: string,
  cluster: { version: string; ipFamily: string },
  deps: ApplyAddonsDeps,
): Promise<AddonFacts> {
  const existing = await deps.describeAddon(clusterName, addon.name);
  const { candidates, defaultNamespace } = await deps.catalogue(addon.name, cluster.version);
  const namespace = existing?.associations[0]?.namespace ?? defaultNamespace ?? FALLBACK_NAMESPACE;
  const base: AddonFacts = { existing, namespace, ipFamily: cluster.ipFamily, roles: {} };
  if (candidates.length === 0 && !existing) {
    return {
      ...base,
      unknown: `EKS offers no add-on "${addon.name}" for Kubernetes ${cluster.version}; check the name (aws eks describe-addon-versions --kubernetes-version ${cluster.version})`,
    };
  }
  const unoffered =
    addon.version === undefined || addon.version === existing?.version
      ? undefined
      : unofferedAddonVersion(addon.name, cluster.version, addon.version, candidates);
  if (unoffered !== undefined) return { ...base, unknown: unoffered };
  const targetVersion =
    addon.version ??
    existing?.version ??
    chooseAddonVersion(addon.name, cluster.version, candidates);
  const configuration = await deps.podIdentityConfiguration(addon.name, targetVersion);
  if ('refused' in configuration) {
    return {
      ...base,
      targetVersion,
      unknown: `EKS refused add-on "${addon.name}" ${targetVersion}: ${configuration.refused}`,
    };
  }
  const facts: AddonFacts = {
    ...base,
    targetVersion,
    podIdentityConfiguration: configuration.accounts,
  };
  for (const roleName of roleNamesToRead(addon, facts, clusterName))
    facts.roles[roleName] = await deps.getRole(roleName);
  facts.strandedRoles = await strandedRoles(facts, clusterName, deps);
  return facts;
}

/** See `AddonFacts.strandedRoles`: owned by this service for exactly that service account, unused. */
async function strandedRoles(
  facts: AddonFacts,
  clusterName: string,
  deps: ApplyAddonsDeps,
): Promise<AddonFacts['strandedRoles']> {
  const stranded: NonNullable<AddonFacts['strandedRoles']> = [];
  for (const { serviceAccount } of facts.podIdentityConfiguration ?? []) {
    if (facts.existing?.associations.some((a) => a.serviceAccount === serviceAccount)) continue;
    const roleName = roleNameFor(clusterName, facts.namespace, serviceAccount);
    const role = facts.roles[roleName];
    if (!role || !isOwnedBy(role.tags, clusterName, facts.namespace, serviceAccount)) continue;
    if (await deps.hasAssociation(clusterName, facts.namespace, serviceAccount)) continue;
    stranded.push({ serviceAccount, roleName });
  }
  return stranded;
}

function resultOf(decision: AddonDecision, result: AddonResultKind, reason: string): AddonResult {
  return {
    name: decision.name,
    version: decision.version,
    result,
    reason,
    podIdentityAssociations: decision.associations,
    ...(decision.steps.length > 0 ? { steps: decision.steps } : {}),
    ...(decision.warnings.length > 0 ? { warnings: decision.warnings } : {}),
  };
}

const DONE: Record<AddonDecision['action'], AddonResultKind> = {
  create: 'created',
  update: 'updated',
  unchanged: 'unchanged',
  skip: 'skipped',
};

async function execute(
  decision: AddonDecision,
  clusterName: string,
  deps: ApplyAddonsDeps,
): Promise<AddonResult> {
  if (decision.action === 'unchanged' || decision.action === 'skip')
    return resultOf(decision, DONE[decision.action], decision.reason);
  let step = 'creating IAM role';
  try {
    // Roles first: EKS checks them when the add-on names them.
    const arns = new Map<string, string>();
    for (const role of decision.createRoles) {
      step = `creating IAM role "${role.roleName}"`;
      arns.set(role.arn, (await deps.createRole(role)).arn);
    }
    for (const { roleName, changes } of decision.reconcileRoles) {
      step = `updating IAM role "${roleName}"`;
      await deps.reconcileRole(roleName, changes);
    }
    const associations = decision.associations?.map((association) => ({
      ...association,
      roleArn: arns.get(association.roleArn) ?? association.roleArn,
    }));
    const write: AddonWrite = {
      clusterName,
      addonName: decision.name,
      addonVersion: decision.version,
      configurationValues: decision.configurationValues,
      resolveConflicts: decision.resolveConflicts,
      serviceAccountRoleArn: decision.serviceAccountRoleArn,
      podIdentityAssociations: associations,
    };
    if (decision.action === 'create') {
      step = `creating addon ${decision.name}`;
      const token = createHash('sha256')
        .update(`${clusterName}/${decision.name}/${decision.version}`)
        .digest('hex')
        .slice(0, 32);
      await deps.createAddon({ ...write, tags: decision.tags, clientRequestToken: token });
    } else if (decision.callUpdate) {
      step = `updating addon ${decision.name}`;
      await deps.updateAddon(write);
    }
    // Only after the add-on let go of them: EKS deletes those associations with the update.
    for (const roleName of decision.deleteRoles) {
      step = `deleting IAM role "${roleName}"`;
      await deps.deleteRole(roleName);
    }
    return {
      ...resultOf(decision, DONE[decision.action], decision.reason),
      podIdentityAssociations: associations,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return resultOf(decision, 'failed', `${step}: ${message}`);
  }
}

export async function applyAddons(
  input: { runId: string; clusterName: string; dryRun: boolean },
  deps: ApplyAddonsDeps,
): Promise<ApplyAddonsSummary> {
  const request = await deps.loadAssociationRequest(input.runId);
  const addons = request.addons;
  if (!addons || addons.addons.length === 0) return { addonCount: 0, failed: 0 };
  const cluster = await deps.describeCluster(input.clusterName);
  if (!cluster)
    throw new AddonValidationError([
      { path: 'metadata.name', message: `cluster "${input.clusterName}" no longer exists` },
    ]);

  const issues: ConfigIssue[] = [];
  const decisions: AddonDecision[] = [];
  for (const addon of addons.addons) {
    const facts = await gatherFacts(addon, input.clusterName, cluster, deps);
    const decision = decideAddon(addon, facts, request.operation, addons, issues);
    if (decision) decisions.push(decision);
  }
  if (issues.length > 0) throw new AddonValidationError(issues);

  const results: AddonResult[] = [];
  for (const decision of decisions) {
    if (input.dryRun) {
      results.push(
        resultOf(
          decision,
          DONE[decision.action],
          decision.action === 'unchanged' || decision.action === 'skip'
            ? decision.reason
            : `would ${decision.action}: ${decision.reason}`,
        ),
      );
    } else {
      results.push(await execute(decision, input.clusterName, deps));
    }
  }
  await deps.saveResults(input.runId, results);
  return {
    addonCount: results.length,
    failed: results.filter((result) => result.result === 'failed').length,
  };
}
