/**
 * Moves each planned add-on from IRSA to pod identity, one add-on at a time and in order: the
 * role gains the Pod Identity trust, then UpdateAddon gives the add-on the association for its
 * service account (same version and configuration values), then, only when asked, this cluster's
 * OIDC trust of that service account leaves the role. A rerun finds a migrated add-on using pod
 * identity and leaves it.
 */

import { namesSameRole } from '../../core/arn.ts';
import { NamedError, namedErrorClass } from '../../core/errors.ts';
import {
  type AddonMigrationResult,
  addonMigrationSteps,
  addonsToMigrate,
} from '../../core/migration/addons.ts';
import type { MigrationPlan } from '../../core/migration/plan.ts';
import type { RoleFact } from '../../core/migration/role-fact.ts';
import { podIdentityTrustAddition } from '../../core/migration/trust.ts';
import type { PolicyDocument } from '../../core/policy-document.ts';
import { removeIrsaSubjects } from '../../core/trust-policy.ts';

export interface MigrateAddonsDeps {
  loadPlan(runId: string): Promise<MigrationPlan>;
  getRoleTrust(roleName: string): Promise<RoleFact | undefined>;
  updateTrust(roleName: string, trust: PolicyDocument): Promise<void>;
  /** The add-on as EKS has it now; undefined when it is gone. */
  addonState(
    clusterName: string,
    addonName: string,
  ): Promise<{ associations: string[]; serviceAccountRoleArn?: string | undefined } | undefined>;
  updateAddon(input: {
    clusterName: string;
    addonName: string;
    addonVersion: string;
    configurationValues?: string | undefined;
    podIdentityAssociations: { serviceAccount: string; roleArn: string }[];
  }): Promise<void>;
  saveResults(runId: string, results: AddonMigrationResult[]): Promise<string>;
}

/**
 * The plan would give an add-on a role other than its own IRSA role. Discovery only plans the
 * add-on's `serviceAccountRoleArn`; a plan document changed after discovery asks for another.
 */
/** An add-on or role the plan names was deleted since discovery. */
export const MigrationTargetGoneError = namedErrorClass('MigrationTargetGoneError');

/** The role's trust policy has no room for the pods.eks.amazonaws.com statement. */
export const TrustPolicyTooLargeError = namedErrorClass('TrustPolicyTooLargeError');

export class AddonPlanTamperedError extends NamedError {
  override readonly name = 'AddonPlanTamperedError';
  constructor(
    addonName: string,
    plannedRoleArn: string,
    currentRoleArn: string | undefined,
    runId: string,
  ) {
    super(
      `refused to give addon ${addonName} role ${plannedRoleArn}: its IRSA role is ${currentRoleArn ?? 'none'}, and ` +
        'the migration only moves an add-on to pod identity with its own role. The plan document of run ' +
        `${runId} was changed after discovery; check who can write under runs/ in the config bucket and run the migration again`,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function migrateAddons(
  input: { runId: string },
  deps: MigrateAddonsDeps,
): Promise<{ migrated: number; failed: number }> {
  const plan = await deps.loadPlan(input.runId);
  const results: AddonMigrationResult[] = [];
  for (const addon of addonsToMigrate(plan.addons)) {
    const serviceAccount = addon.serviceAccount ?? '';
    const base = {
      addonName: addon.addonName,
      version: addon.version,
      roleArn: addon.roleArn,
      serviceAccount,
      steps: addonMigrationSteps(addon),
    };
    let step = `reading addon ${addon.addonName}`;
    try {
      // Checked before anything changes: a run document may have been changed since discovery.
      const current = await deps.addonState(plan.clusterName, addon.addonName);
      if (current === undefined) {
        throw new MigrationTargetGoneError(`addon ${addon.addonName} no longer exists`);
      }
      const needsUpdate = !current.associations.includes(serviceAccount);
      if (needsUpdate && !namesSameRole(current.serviceAccountRoleArn ?? '', addon.roleArn)) {
        throw new AddonPlanTamperedError(
          addon.addonName,
          addon.roleArn,
          current.serviceAccountRoleArn,
          input.runId,
        );
      }

      step = `updating trust policy for role ${addon.roleName}`;
      const role = await deps.getRoleTrust(addon.roleName);
      if (!role) throw new MigrationTargetGoneError(`role ${addon.roleName} no longer exists`);
      const addition = podIdentityTrustAddition(
        addon.roleName,
        role.trustPolicy,
        plan.assumeRolePolicySizeQuota,
      );
      if (addition.action === 'too-large') throw new TrustPolicyTooLargeError(addition.reason);
      if (addition.action === 'add') await deps.updateTrust(addon.roleName, addition.document);

      step = `updating addon ${addon.addonName} to use pod identity for service account ${serviceAccount}`;
      if (needsUpdate) {
        await deps.updateAddon({
          clusterName: plan.clusterName,
          addonName: addon.addonName,
          addonVersion: addon.version,
          configurationValues: addon.configurationValues,
          podIdentityAssociations: [{ serviceAccount, roleArn: addon.roleArn }],
        });
      }

      if (addon.removeOidcTrust && addon.namespace !== undefined) {
        step = `removing OIDC provider trust from role ${addon.roleName}`;
        const after = await deps.getRoleTrust(addon.roleName);
        const removal = after
          ? removeIrsaSubjects(after.trustPolicy, plan.providerArn, [
              { namespace: addon.namespace, serviceAccount },
            ])
          : undefined;
        if (removal?.changed) await deps.updateTrust(addon.roleName, removal.document);
      }
      results.push({
        ...base,
        result: 'migrated',
        reason: `migrated addon ${addon.addonName} to pod identity for service account ${serviceAccount}`,
      });
    } catch (error) {
      results.push({ ...base, result: 'failed', reason: `${step}: ${messageOf(error)}` });
    }
  }
  await deps.saveResults(input.runId, results);
  return {
    migrated: results.filter((result) => result.result === 'migrated').length,
    failed: results.filter((result) => result.result === 'failed').length,
  };
}
