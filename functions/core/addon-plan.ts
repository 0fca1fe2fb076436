/**
 * The `addons:` section of a ClusterConfig: what each add-on should look like (desired), and the
 * decision that makes the cluster match it, with eksctl's rules that need EKS's data (the
 * add-on's versions and its `podIdentityConfiguration`). Free of SDK types: the task gathers the
 * facts, this module decides.
 */

import { requestedAddonVersion } from './addon.ts';
import { parseRoleArn } from './arn.ts';
import {
  type DesiredAssociation,
  type DesiredContext,
  desiredFromConfig,
  type ManagedRole,
} from './associations/desired.ts';
import type { ExistingRole } from './associations/existing.ts';
import {
  hasRoleChanges,
  type RoleChanges,
  roleChangeSteps,
  roleChanges,
} from './associations/plan.ts';
import type { AddonConfig, AddonsConfig, Operation } from './config/index.ts';
import { type ConfigIssue, ConfigValidationError } from './config/index.ts';
import { NamedError } from './errors.ts';
import { isOwnedBy, roleNameFor } from './naming.ts';

/** An add-on's associations as the config asks for them. */
export type DesiredAddonAssociations =
  /** `podIdentityAssociations` left out: keep what the add-on has. */
  | { kind: 'keep' }
  /**
   * `useDefaultPodIdentityAssociations`. (`autoApplyPodIdentityAssociations` does not make this
   * kind: it is decided with EKS's data, on creation only, for an add-on left as `keep`.)
   */
  | { kind: 'recommended'; explicit: boolean }
  /** The given list, declarative (`[]` removes every association). */
  | { kind: 'list'; entries: DesiredAssociation[] };

export interface DesiredAddon {
  /** `addons[2]`: where it is in the config. */
  path: string;
  name: string;
  /** Undefined (or `latest` in the config): EKS's default version for the cluster. */
  version?: string | undefined;
  configurationValues?: string | undefined;
  resolveConflicts?: 'NONE' | 'OVERWRITE' | 'PRESERVE' | undefined;
  tags: Record<string, string>;
  serviceAccountRoleArn?: string | undefined;
  /**
   * `attachPolicyARNs`, `attachPolicy` or `wellKnownPolicies` given. No role is built from them,
   * but like `serviceAccountRoleARN` they are IRSA settings (eksctl's `HasIRSASet`), which
   * `autoApplyPodIdentityAssociations` leaves alone.
   */
  irsaPolicies: boolean;
  associations: DesiredAddonAssociations;
}

/** The add-ons of a request, and the context needed to build their roles later. */
export interface AddonRequest {
  addons: DesiredAddon[];
  /** `addonsConfig.autoApplyPodIdentityAssociations`. */
  autoApply: boolean;
  /** What `desiredFromConfig` needs for the roles of recommended associations, built at plan time. */
  roleContext: Omit<DesiredContext, 'path'>;
}

export class AddonValidationError extends NamedError {
  override readonly name = 'AddonValidationError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const count = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    super(
      [
        `the addons of the config have ${count} (nothing was changed):`,
        ...issues.map((issue) => `- ${issue.path}: ${issue.message}`),
      ].join('\n'),
    );
    this.issues = issues;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Normalises the validated `addons:` entries; `only` narrows to one add-on (`--name`). */
export function desiredAddonsFromConfig(
  addons: readonly AddonConfig[],
  addonsConfig: AddonsConfig | undefined,
  context: Omit<DesiredContext, 'path'>,
  only?: string | undefined,
): { request: AddonRequest; warnings: string[] } {
  const warnings: string[] = [];
  const issues: ConfigIssue[] = [];
  const desired: DesiredAddon[] = [];
  const autoApply = addonsConfig?.autoApplyPodIdentityAssociations === true;
  addons.forEach((addon, index) => {
    if (only !== undefined && addon.name !== only) return;
    const path = `addons[${index}]`;
    const irsaPolicies =
      (addon.attachPolicyARNs?.length ?? 0) > 0 ||
      addon.attachPolicy !== undefined ||
      Object.values(addon.wellKnownPolicies ?? {}).some(Boolean);
    if (irsaPolicies) {
      warnings.push(
        autoApply
          ? `${path}: attachPolicyARNs, attachPolicy and wellKnownPolicies (an IRSA role eksctl would create) are ignored, and as in eksctl they also keep addonsConfig.autoApplyPodIdentityAssociations from giving the add-on its recommended associations, so eks-pia gives it no role; replace them with podIdentityAssociations, useDefaultPodIdentityAssociations or serviceAccountRoleARN`
          : `${path}: attachPolicyARNs, attachPolicy and wellKnownPolicies (an IRSA role eksctl would create) are ignored; give the add-on podIdentityAssociations, useDefaultPodIdentityAssociations or serviceAccountRoleARN`,
      );
    }
    if (
      autoApply &&
      addon.podIdentityAssociations?.length === 0 &&
      addon.useDefaultPodIdentityAssociations !== true
    ) {
      // eksctl reads [] as "none given" here (HasPodIDsSet), so auto-apply still creates the
      // recommended associations, and on update silently keeps the existing ones, against its
      // own "set [] to remove them". eks-pia does what the list says; say so to whoever migrates.
      warnings.push(
        `${path}.podIdentityAssociations: [] gives the add-on no pod identity associations (an update removes those it has), whatever addonsConfig.autoApplyPodIdentityAssociations says; eksctl would instead apply the recommended ones on creation and keep the existing ones on update`,
      );
    }
    let associations: DesiredAddonAssociations = { kind: 'keep' };
    if (addon.useDefaultPodIdentityAssociations === true) {
      associations = { kind: 'recommended', explicit: true };
    } else if (addon.podIdentityAssociations !== undefined) {
      const entries: DesiredAssociation[] = [];
      addon.podIdentityAssociations.forEach((entry, entryIndex) => {
        try {
          entries.push(
            desiredFromConfig(entry, {
              ...context,
              path: `${path}.podIdentityAssociations[${entryIndex}]`,
            }),
          );
        } catch (error) {
          if (!(error instanceof ConfigValidationError)) throw error;
          issues.push(...error.issues);
        }
      });
      associations = { kind: 'list', entries };
    }
    desired.push({
      path,
      name: addon.name,
      version: requestedAddonVersion(addon.version),
      configurationValues: nonEmpty(addon.configurationValues),
      resolveConflicts: addon.resolveConflicts?.toUpperCase() as DesiredAddon['resolveConflicts'],
      tags: { ...context.clusterTags, ...addon.tags },
      serviceAccountRoleArn: nonEmpty(addon.serviceAccountRoleARN),
      irsaPolicies,
      associations,
    });
  });
  if (issues.length > 0) throw new ConfigValidationError('the addons of the config', issues);
  if (only !== undefined && desired.length === 0) {
    throw new AddonValidationError([
      {
        path: 'addons',
        message: `addon "${only}" is not in the config file; the file lists ${addons.map((addon) => `"${addon.name}"`).join(', ') || 'no addons'}`,
      },
    ]);
  }
  return {
    request: {
      addons: desired,
      autoApply,
      roleContext: context,
    },
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Facts and decisions

export interface PodIdentityServiceAccount {
  serviceAccount: string;
  recommendedManagedPolicies: string[];
}

/** One association the add-on owns now. */
export interface AddonAssociationFact {
  associationId: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
}

export interface ExistingAddon {
  arn: string;
  version: string;
  status: string;
  serviceAccountRoleArn?: string | undefined;
  configurationValues?: string | undefined;
  /** How many health issues EKS reports. */
  healthIssues?: number | undefined;
  associations: AddonAssociationFact[];
}

/** What EKS and IAM say about one desired add-on, gathered before any decision. */
export interface AddonFacts {
  existing?: ExistingAddon | undefined;
  /** The version the run would install or keep; undefined when EKS does not know the add-on. */
  targetVersion?: string | undefined;
  /** Why EKS refused the add-on name or version, when it did. */
  unknown?: string | undefined;
  /** Undefined or empty: the target version does not support pod identity. */
  podIdentityConfiguration?: PodIdentityServiceAccount[] | undefined;
  /** The namespace the add-on's service accounts live in. */
  namespace: string;
  ipFamily: string;
  /** Roles this service would create or reconcile, by name; absent ones are missing. */
  roles: Record<string, ExistingRole | undefined>;
  /**
   * Service accounts of the add-on with a role this service created for them that no association
   * uses any more: an interrupted update removed the association before it could delete the role.
   */
  strandedRoles?: { serviceAccount: string; roleName: string }[] | undefined;
}

export interface AddonAssociationPlan {
  serviceAccount: string;
  roleArn: string;
}

export type AddonAction = 'create' | 'update' | 'unchanged' | 'skip';

export interface AddonDecision {
  path: string;
  name: string;
  action: AddonAction;
  version: string;
  reason: string;
  createRoles: ManagedRole[];
  reconcileRoles: { roleName: string; changes: RoleChanges }[];
  /** Sent as the add-on's podIdentityAssociations; undefined leaves them as they are. */
  associations?: AddonAssociationPlan[] | undefined;
  /** Whether UpdateAddon must be called (an update may only need its roles reconciled). */
  callUpdate: boolean;
  /** Roles this service created for associations the add-on no longer has; deleted after. */
  deleteRoles: string[];
  configurationValues?: string | undefined;
  resolveConflicts?: DesiredAddon['resolveConflicts'];
  serviceAccountRoleArn?: string | undefined;
  tags: Record<string, string>;
  steps: string[];
  warnings: string[];
}

const UNSUPPORTED = (name: string) =>
  `"${name}" addon does not support pod identity associations; use IRSA config (\`addon.serviceAccountRoleARN\`, \`addon.attachPolicyARNs\`, \`addon.attachPolicy\` or \`addon.wellKnownPolicies\`) instead`;

/** The associations the add-on should end up with, or undefined to leave them. */
function wantedAssociations(
  addon: DesiredAddon,
  facts: AddonFacts,
  autoApply: boolean,
  roleContext: AddonRequest['roleContext'],
  issues: ConfigIssue[],
): DesiredAssociation[] | undefined {
  const supported = facts.podIdentityConfiguration ?? [];
  const recommended = () =>
    supported.map((account) =>
      desiredFromConfig(
        {
          namespace: facts.namespace,
          serviceAccountName: account.serviceAccount,
          permissionPolicyARNs: account.recommendedManagedPolicies,
        },
        { ...roleContext, path: `${addon.path}.useDefaultPodIdentityAssociations` },
      ),
    );
  const { associations } = addon;
  if (associations.kind === 'recommended') {
    if (supported.length === 0) {
      issues.push({
        path: `${addon.path}.useDefaultPodIdentityAssociations`,
        message: UNSUPPORTED(addon.name),
      });
      return undefined;
    }
    return recommended();
  }
  if (associations.kind === 'keep') {
    // eksctl applies the recommended associations on creation only, and only when no IRSA
    // setting is given either: an explicit IRSA choice wins over auto-apply.
    if (
      autoApply &&
      !facts.existing &&
      !addon.serviceAccountRoleArn &&
      !addon.irsaPolicies &&
      supported.length > 0
    )
      return recommended();
    return undefined;
  }
  if (associations.entries.length > 0 && supported.length === 0) {
    issues.push({
      path: `${addon.path}.podIdentityAssociations`,
      message: UNSUPPORTED(addon.name),
    });
    return undefined;
  }
  const names = supported.map((account) => account.serviceAccount);
  associations.entries.forEach((entry, index) => {
    if (!names.includes(entry.serviceAccount)) {
      issues.push({
        path: `${addon.path}.podIdentityAssociations[${index}].serviceAccountName`,
        message: `service account "${entry.serviceAccount}" is not one add-on "${addon.name}" ${facts.targetVersion ?? ''} takes a pod identity association for; use ${names.map((name) => `"${name}"`).join(', ')}`,
      });
    }
    if (entry.namespace !== facts.namespace) {
      issues.push({
        path: `${addon.path}.podIdentityAssociations[${index}].namespace`,
        message: `add-on "${addon.name}" runs in namespace "${facts.namespace}"; set namespace: ${facts.namespace}`,
      });
    }
  });
  return associations.entries;
}

function sameText(a: string | undefined, b: string | undefined): boolean {
  return (a ?? '') === (b ?? '');
}

/**
 * Decides what one add-on needs, or adds to `issues` why the config cannot be applied (the
 * caller refuses the whole run before any change when there are issues).
 */
export function decideAddon(
  addon: DesiredAddon,
  facts: AddonFacts,
  operation: Operation,
  request: Pick<AddonRequest, 'autoApply' | 'roleContext'>,
  issues: ConfigIssue[],
): AddonDecision | undefined {
  if (facts.unknown !== undefined || facts.targetVersion === undefined) {
    issues.push({
      path: addon.version ? `${addon.path}.version` : `${addon.path}.name`,
      message: facts.unknown ?? `EKS does not know add-on "${addon.name}"`,
    });
    return undefined;
  }
  const before = issues.length;
  const wanted = wantedAssociations(addon, facts, request.autoApply, request.roleContext, issues);
  const existing = facts.existing;
  if (
    addon.name === 'vpc-cni' &&
    facts.ipFamily === 'ipv6' &&
    !existing &&
    !addon.serviceAccountRoleArn &&
    (wanted === undefined || wanted.length === 0)
  ) {
    issues.push({
      path: addon.path,
      message:
        'the cluster uses IPv6, so vpc-cni needs credentials. Set one of: addonsConfig.autoApplyPodIdentityAssociations, useDefaultPodIdentityAssociations on the vpc-cni addon, apply a custom pod identity on the vpc-cni addon',
    });
  }
  if (
    existing &&
    existing.associations.length > 0 &&
    addon.associations.kind === 'keep' &&
    operation === 'update'
  ) {
    if (!request.autoApply) {
      // eksctl refuses this on update: silence must not be read as "keep" by one tool and "remove" by another.
      issues.push({
        path: `${addon.path}.podIdentityAssociations`,
        message: `addon ${addon.name} has pod identity associations, to remove pod identity associations from an addon, addon.podIdentityAssociations must be explicitly set to []; to keep them, list them`,
      });
    } else if (addon.serviceAccountRoleArn || addon.irsaPolicies) {
      issues.push({
        path: addon.path,
        message: `cannot set IRSA config (\`addon.serviceAccountRoleARN\`, \`addon.attachPolicyARNs\`, \`addon.attachPolicy\`, \`addon.wellKnownPolicies\`) if addon has existing pod identity associations (addon: ${addon.name})`,
      });
    }
    // Otherwise, under auto-apply eksctl keeps them: silence then means "keep" (the add-on may
    // well have got them from auto-apply when it was created).
  }
  if (issues.length > before) return undefined;

  const decision: AddonDecision = {
    path: addon.path,
    name: addon.name,
    action: 'unchanged',
    version: facts.targetVersion,
    reason: '',
    createRoles: [],
    reconcileRoles: [],
    callUpdate: false,
    deleteRoles: [],
    tags: addon.tags,
    steps: [],
    warnings: [],
  };

  if (!existing && operation === 'update') {
    return {
      ...decision,
      action: 'skip',
      reason: `addon ${addon.name} is not installed; create it first (eks-pia create addon -f)`,
    };
  }
  if (existing && operation === 'create') {
    return {
      ...decision,
      version: existing.version,
      reason: `addon ${addon.name} is already present on the cluster; use update addon to change it`,
    };
  }

  let associations: AddonAssociationPlan[] | undefined;
  if (wanted !== undefined) {
    associations = [];
    for (const entry of wanted) {
      const role = entry.role;
      if (role.kind === 'existing') {
        associations.push({ serviceAccount: entry.serviceAccount, roleArn: role.roleArn });
      } else if (role.kind === 'managed') {
        const current = facts.roles[role.role.roleName];
        if (!current) {
          decision.createRoles.push(role.role);
          decision.steps.push(
            `create IAM role "${role.role.roleName}" for add-on ${addon.name} service account "${facts.namespace}/${entry.serviceAccount}"`,
          );
        } else if (
          !isOwnedBy(
            current.tags,
            request.roleContext.clusterName,
            facts.namespace,
            entry.serviceAccount,
          )
        ) {
          issues.push({
            path: entry.path,
            message: `role "${role.role.roleName}" exists and was not created by eks-pia for this service account; give roleARN instead, or another roleName`,
          });
          return undefined;
        } else {
          const changes = roleChanges(role.role, current);
          if (hasRoleChanges(changes)) {
            decision.reconcileRoles.push({ roleName: role.role.roleName, changes });
            decision.steps.push(...roleChangeSteps(role.role.roleName, changes));
          }
        }
        associations.push({
          serviceAccount: entry.serviceAccount,
          roleArn: current?.arn ?? role.role.arn,
        });
      }
    }
    const keep = new Set(associations.map((association) => association.serviceAccount));
    for (const association of existing?.associations ?? []) {
      if (keep.has(association.serviceAccount)) continue;
      const roleName = parseRoleArn(association.roleArn)?.name ?? '';
      const owned = facts.roles[roleName];
      if (
        owned &&
        isOwnedBy(
          owned.tags,
          request.roleContext.clusterName,
          association.namespace,
          association.serviceAccount,
        )
      ) {
        decision.deleteRoles.push(roleName);
      }
    }
    for (const stranded of facts.strandedRoles ?? []) {
      if (!keep.has(stranded.serviceAccount) && !decision.deleteRoles.includes(stranded.roleName))
        decision.deleteRoles.push(stranded.roleName);
    }
  }

  if (!existing) {
    decision.action = 'create';
    decision.configurationValues = addon.configurationValues;
    decision.resolveConflicts = addon.resolveConflicts;
    decision.serviceAccountRoleArn = addon.serviceAccountRoleArn;
    decision.associations = associations;
    decision.steps.push(
      `create addon ${addon.name} ${facts.targetVersion}${associations && associations.length > 0 ? ` with pod identity associations for ${associations.map((a) => `"${a.serviceAccount}" (role ${a.roleArn})`).join(', ')}` : ''}`,
    );
    decision.reason = 'created';
    return decision;
  }

  const changed: string[] = [];
  if (addon.version !== undefined && addon.version !== existing.version)
    changed.push(`version ${existing.version} → ${addon.version}`);
  else decision.version = existing.version;
  if (
    addon.configurationValues !== undefined &&
    !sameText(addon.configurationValues, existing.configurationValues)
  ) {
    changed.push('configurationValues');
    decision.configurationValues = addon.configurationValues;
  }
  if (
    addon.serviceAccountRoleArn !== undefined &&
    addon.serviceAccountRoleArn !== existing.serviceAccountRoleArn
  ) {
    changed.push(`serviceAccountRoleARN → ${addon.serviceAccountRoleArn}`);
    decision.serviceAccountRoleArn = addon.serviceAccountRoleArn;
  }
  if (associations !== undefined) {
    const current = new Map(existing.associations.map((a) => [a.serviceAccount, a.roleArn]));
    const differs =
      associations.length !== current.size ||
      associations.some((a) => current.get(a.serviceAccount) !== a.roleArn);
    if (differs) {
      changed.push(
        associations.length === 0
          ? 'remove every pod identity association'
          : `pod identity associations → ${associations.map((a) => `"${a.serviceAccount}" (role ${a.roleArn})`).join(', ')}`,
      );
      decision.associations = associations;
    }
  }
  if (
    changed.length === 0 &&
    decision.createRoles.length === 0 &&
    decision.reconcileRoles.length === 0 &&
    decision.deleteRoles.length === 0
  ) {
    return { ...decision, reason: `addon ${addon.name} already matches the config` };
  }
  decision.action = 'update';
  decision.callUpdate = changed.length > 0;
  decision.resolveConflicts = addon.resolveConflicts;
  if (changed.length > 0) decision.steps.push(`update addon ${addon.name}: ${changed.join('; ')}`);
  for (const roleName of decision.deleteRoles)
    decision.steps.push(
      `delete IAM role "${roleName}" (created by eks-pia for an association the add-on no longer has)`,
    );
  decision.reason =
    changed.join('; ') ||
    (decision.createRoles.length + decision.reconcileRoles.length > 0
      ? 'roles reconciled'
      : 'roles of removed associations deleted');
  return decision;
}

/**
 * The roles a decision about the add-on may read: those its entries name, those the recommended
 * associations would get, and those of the associations it has now.
 */
export function roleNamesToRead(
  addon: DesiredAddon,
  facts: Pick<AddonFacts, 'existing' | 'podIdentityConfiguration' | 'namespace'>,
  clusterName: string,
): string[] {
  const names = new Set<string>();
  if (addon.associations.kind === 'list') {
    for (const entry of addon.associations.entries)
      if (entry.role.kind === 'managed') names.add(entry.role.role.roleName);
  }
  for (const account of facts.podIdentityConfiguration ?? [])
    names.add(roleNameFor(clusterName, facts.namespace, account.serviceAccount));
  for (const association of facts.existing?.associations ?? []) {
    const name = parseRoleArn(association.roleArn)?.name;
    if (name) names.add(name);
  }
  return [...names];
}

export type AddonResultKind = 'created' | 'updated' | 'unchanged' | 'skipped' | 'failed';

/** One add-on's line in the report. */
export interface AddonResult {
  name: string;
  version: string;
  result: AddonResultKind;
  reason: string;
  /** The associations the add-on has (or, on a dry run, would have) after the run. */
  podIdentityAssociations?: { serviceAccount: string; roleArn: string }[] | undefined;
  steps?: string[] | undefined;
  warnings?: string[] | undefined;
}
