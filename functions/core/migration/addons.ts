/**
 * Migration of EKS add-ons that use IRSA (`serviceAccountRoleArn`), as eksctl's AddonMigrator:
 * the add-on gets the association through its own `podIdentityAssociations` (UpdateAddon), never
 * one made beside it. Only versions whose DescribeAddonConfiguration lists pod identity service
 * accounts are migrated (eksctl #7752 broke add-ons by migrating others). The role gains the
 * Pod Identity trust first; this cluster's OIDC trust of the add-on's service account is removed
 * only when asked, and only after the add-on has the association.
 */

import { parseRoleArn } from '../arn.ts';
import { findIrsaSubjects, hasPodIdentityTrust } from '../trust-policy.ts';
import { isMigratable, type MigratableRoles, notMigratableReason } from './migratable.ts';
import type { OidcProviderFact } from './provider.ts';
import type { RoleFact } from './role-fact.ts';

/** What discovery read about one add-on with an IRSA role. */
export interface AddonMigrationFact {
  addonName: string;
  version: string;
  roleArn: string;
  /** The add-on already has pod identity associations. */
  hasPodIdentityAssociations: boolean;
  /** The service accounts its version takes associations for; empty: no pod identity support. */
  podIdentityServiceAccounts: string[];
  configurationValues?: string | undefined;
  /** The role as IAM has it; undefined when it is not in the cluster's account or not found. */
  role?: RoleFact | undefined;
}

export type AddonMigrationAction = 'migrate' | 'migrated' | 'skip';

export interface PlannedAddon {
  addonName: string;
  version: string;
  roleArn: string;
  roleName: string;
  action: AddonMigrationAction;
  reason: string;
  serviceAccount?: string | undefined;
  namespace?: string | undefined;
  /** The role lacks the pods.eks.amazonaws.com statement. */
  addTrust: boolean;
  /** Remove this cluster's OIDC trust of the add-on's service account after the update. */
  removeOidcTrust: boolean;
  /** The add-on already has its association (an interrupted run): only the OIDC trust is left. */
  onlyOidcTrustLeft?: boolean | undefined;
  configurationValues?: string | undefined;
}

export type AddonMigrationResultKind = 'migrated' | 'unchanged' | 'planned' | 'skipped' | 'failed';

export interface AddonMigrationResult {
  addonName: string;
  version: string;
  roleArn: string;
  serviceAccount?: string | undefined;
  result: AddonMigrationResultKind;
  reason: string;
  steps: string[];
}

/** Picks the add-on's service account from the role's IRSA trust, as eksctl does. */
function serviceAccountOf(
  fact: AddonMigrationFact,
  provider: OidcProviderFact,
): { serviceAccount: string; namespace?: string | undefined } | { skip: string } {
  const supported = fact.podIdentityServiceAccounts;
  const subject = fact.role
    ? findIrsaSubjects(fact.role.trustPolicy, provider.arn).subjects.find(
        (candidate) =>
          candidate.serviceAccount !== undefined && supported.includes(candidate.serviceAccount),
      )
    : undefined;
  if (subject?.serviceAccount)
    return { serviceAccount: subject.serviceAccount, namespace: subject.namespace };
  const [only] = supported;
  if (supported.length === 1 && only !== undefined) return { serviceAccount: only };
  return {
    skip: `cannot choose a service account as addon ${fact.addonName} supports pod identity for multiple service accounts; give the add-on podIdentityAssociations (eks-pia update addon -f)`,
  };
}

/** An association as discovery described it, to tell whose add-on migration is done. */
export interface AddonAssociationFact {
  namespace: string;
  serviceAccount: string;
  roleArn: string;
}

/**
 * The service account whose OIDC trust an interrupted migration of this add-on left on its role:
 * the role still trusts this cluster's provider for it by its exact subject, and the association
 * of that service account to that very role exists, which is what makes removing the trust safe.
 */
function oidcTrustLeftBehind(
  fact: AddonMigrationFact,
  provider: OidcProviderFact,
  associations: readonly AddonAssociationFact[],
): { namespace: string; serviceAccount: string } | undefined {
  const role = fact.role;
  if (!role) return undefined;
  const roleName = role.name.toLowerCase();
  for (const subject of findIrsaSubjects(role.trustPolicy, provider.arn).subjects) {
    const { namespace, serviceAccount } = subject;
    if (subject.wildcard || namespace === undefined || serviceAccount === undefined) continue;
    const associated = associations.some(
      (association) =>
        association.namespace === namespace &&
        association.serviceAccount === serviceAccount &&
        parseRoleArn(association.roleArn)?.name.toLowerCase() === roleName,
    );
    if (associated) return { namespace, serviceAccount };
  }
  return undefined;
}

/**
 * The plan for each add-on with an IRSA role, in add-on name order. An add-on whose role lies
 * outside `migratable` (the deployment's migratableRoleArnPatterns) is skipped with the reason,
 * also when only its OIDC trust is left to remove: both edit the role's trust.
 */
export function planAddonMigrations(
  facts: readonly AddonMigrationFact[],
  provider: OidcProviderFact,
  removeOidcProviderTrustRelationship: boolean,
  associations: readonly AddonAssociationFact[],
  migratable: MigratableRoles,
): PlannedAddon[] {
  return [...facts]
    .sort((a, b) => a.addonName.localeCompare(b.addonName))
    .map((fact): PlannedAddon => {
      const planned = planAddon(fact, provider, removeOidcProviderTrustRelationship, associations);
      if (
        planned.action !== 'migrate' ||
        migratable === undefined ||
        isMigratable(fact.role?.arn ?? fact.roleArn, migratable)
      ) {
        return planned;
      }
      return {
        ...planned,
        action: 'skip',
        addTrust: false,
        removeOidcTrust: false,
        onlyOidcTrustLeft: undefined,
        reason: `addon ${fact.addonName}: ${notMigratableReason(fact.role?.arn ?? fact.roleArn, migratable)}`,
      };
    });
}

function planAddon(
  fact: AddonMigrationFact,
  provider: OidcProviderFact,
  removeOidcProviderTrustRelationship: boolean,
  associations: readonly AddonAssociationFact[],
): PlannedAddon {
  const base = {
    addonName: fact.addonName,
    version: fact.version,
    roleArn: fact.roleArn,
    roleName: parseRoleArn(fact.roleArn)?.name ?? fact.roleArn,
    addTrust: false,
    removeOidcTrust: false,
    configurationValues: fact.configurationValues,
  };
  const leftBehind =
    fact.hasPodIdentityAssociations && removeOidcProviderTrustRelationship
      ? oidcTrustLeftBehind(fact, provider, associations)
      : undefined;
  if (leftBehind && fact.role) {
    return {
      ...base,
      roleName: fact.role.name,
      action: 'migrate',
      ...leftBehind,
      removeOidcTrust: true,
      onlyOidcTrustLeft: true,
      reason: `addon ${fact.addonName} already uses pod identity for service account "${leftBehind.namespace}/${leftBehind.serviceAccount}", but role "${fact.role.name}" still trusts this cluster's OIDC provider for it (an interrupted migration); OIDC provider trust relationship will be removed`,
    };
  }
  if (fact.hasPodIdentityAssociations) {
    return {
      ...base,
      action: 'migrated',
      reason: `addon ${fact.addonName} is already using pod identity; skipping migration to pod identity`,
    };
  }
  if (fact.podIdentityServiceAccounts.length === 0) {
    return {
      ...base,
      action: 'skip',
      reason: `addon ${fact.addonName} ${fact.version} does not support pod identity; skipping migration to pod identity (update the add-on to a version that does, then run again)`,
    };
  }
  if (!fact.role) {
    return {
      ...base,
      action: 'skip',
      reason: `role ${fact.roleArn} of addon ${fact.addonName} is not an IAM role of account ${provider.account}; skipping migration to pod identity`,
    };
  }
  const chosen = serviceAccountOf(fact, provider);
  if ('skip' in chosen) return { ...base, action: 'skip', reason: chosen.skip };
  return {
    ...base,
    roleName: fact.role.name,
    action: 'migrate',
    serviceAccount: chosen.serviceAccount,
    namespace: chosen.namespace,
    addTrust: !hasPodIdentityTrust(fact.role.trustPolicy),
    removeOidcTrust: removeOidcProviderTrustRelationship && chosen.namespace !== undefined,
    reason: `will migrate addon ${fact.addonName} with serviceAccountRoleARN "${fact.roleArn}" to pod identity${removeOidcProviderTrustRelationship ? '; OIDC provider trust relationship will also be removed' : ''}`,
  };
}

/** The tasks of one add-on, in eksctl's words. */
export function addonMigrationSteps(addon: PlannedAddon): string[] {
  if (addon.action !== 'migrate') return [];
  return [
    ...(addon.addTrust ? [`update trust policy for unowned role "${addon.roleName}"`] : []),
    ...(addon.onlyOidcTrustLeft ? [] : [`migrate addon ${addon.addonName} to pod identity`]),
    ...(addon.removeOidcTrust
      ? [
          `remove OIDC provider trust for "${addon.namespace}/${addon.serviceAccount}" from role "${addon.roleName}"`,
        ]
      : []),
  ];
}

/** Add-ons whose migration an approved run carries out. */
export function addonsToMigrate(addons: readonly PlannedAddon[] | undefined): PlannedAddon[] {
  return (addons ?? []).filter((addon) => addon.action === 'migrate');
}
