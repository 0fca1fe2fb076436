/**
 * The two trust policy edits of the migration, decided on the role's live trust policy:
 * adding the pods.eks.amazonaws.com statement (size quota checked before anything is written),
 * and removing this cluster's OIDC subjects of migrated service accounts, which is allowed only
 * once every association through the role exists and the role trusts Pod Identity.
 */
import type { PolicyDocument } from '../policy-document.ts';
import { fitsQuota, policySize } from '../policy-document.ts';
import {
  addPodIdentityTrust,
  hasPodIdentityTrust,
  removeIrsaSubjects,
  type ServiceAccountRef,
} from '../trust-policy.ts';
import type { Coverage } from './coverage.ts';
import type { KeptSubject } from './outcomes.ts';
import { type MigrationPlan, trustTooLargeReason } from './plan.ts';

/**
 * What either edit was doing to a role of the plan (through its eksctl stack, for a role that
 * one owns), for the reason of a role it failed on.
 */
export function updatingTrustOf(plan: MigrationPlan): (roleIndex: number) => string {
  return (roleIndex) => {
    const role = plan.roles[roleIndex];
    const stack = role?.throughStack ? role.stackName : undefined;
    return `updating trust policy for role ${role?.name}${stack === undefined ? '' : ` through stack "${stack}"`}`;
  };
}

export type TrustAddition =
  | { action: 'present' }
  | { action: 'add'; document: PolicyDocument }
  | { action: 'too-large'; reason: string };

export function podIdentityTrustAddition(
  roleName: string,
  trust: PolicyDocument,
  quota: number,
): TrustAddition {
  const edit = addPodIdentityTrust(trust);
  if (!edit.changed) return { action: 'present' };
  if (fitsQuota(edit.document, quota)) return { action: 'add', document: edit.document };
  return {
    action: 'too-large',
    reason: trustTooLargeReason(roleName, {
      current: policySize(trust),
      withPodIdentity: policySize(edit.document),
      quota,
    }),
  };
}

/** One service account migrated through the role, with how far its migration got. */
export interface RoleMember {
  ref: ServiceAccountRef;
  coverage: Coverage;
  /** Its association exists (created by this run or found). */
  associationExists: boolean;
  /** Why not, when it does not. */
  associationProblem?: string | undefined;
  /** Its role-arn annotation was removed or was not there. */
  annotationGone: boolean;
  annotationProblem?: string | undefined;
}

export type OidcTrustRemoval =
  | { action: 'keep'; reason: string }
  | { action: 'remove'; document: PolicyDocument; removed: string[]; kept: KeptSubject[] }
  | { action: 'unchanged'; kept: KeptSubject[] };

function describe(ref: ServiceAccountRef): string {
  return `${ref.namespace}/${ref.serviceAccount}`;
}

/**
 * What to take out of `trust` for the role's migrated service accounts. Nothing is removed
 * while any association through the role is missing (a workload might still depend on IRSA),
 * nor when the role no longer trusts Pod Identity. Only exact `:sub` values of this provider
 * whose annotation is gone are removed; wildcards and statements without `:sub` stay, and
 * other providers' statements are never touched.
 */
export function oidcTrustRemoval(
  trust: PolicyDocument,
  providerArn: string,
  members: readonly RoleMember[],
): OidcTrustRemoval {
  const missing = members.find((member) => !member.associationExists);
  if (missing) {
    return {
      action: 'keep',
      reason: `the pod identity association of "${describe(missing.ref)}" does not exist${missing.associationProblem ? ` (${missing.associationProblem})` : ''}, so this cluster's OIDC trust stays until every service account of the role is migrated`,
    };
  }
  if (!hasPodIdentityTrust(trust)) {
    return {
      action: 'keep',
      reason:
        'the role no longer trusts pods.eks.amazonaws.com, so removing its OIDC trust would cut its workloads off; run the migration again',
    };
  }
  const kept: KeptSubject[] = [];
  const removable: ServiceAccountRef[] = [];
  for (const member of members) {
    if (member.coverage.kind === 'wildcard') {
      kept.push({
        subject: member.coverage.value,
        reason: `wildcard subject covering "${describe(member.ref)}" stays: it may serve other service accounts`,
      });
    } else if (member.coverage.kind === 'cluster-wide') {
      kept.push({
        subject: `(no :sub condition) for "${describe(member.ref)}"`,
        reason: 'a statement trusting every service account of the cluster stays',
      });
    } else if (!member.annotationGone) {
      kept.push({
        subject: member.coverage.value,
        reason: `the role-arn annotation of "${describe(member.ref)}" was not removed${member.annotationProblem ? ` (${member.annotationProblem})` : ''}`,
      });
    } else {
      removable.push(member.ref);
    }
  }
  const removal = removeIrsaSubjects(trust, providerArn, removable);
  for (const skipped of removal.skipped) {
    for (const subject of skipped.subjects) {
      kept.push({
        subject: subject.value,
        reason: 'its statement names other principals too, so it is left as it is',
      });
    }
  }
  if (!removal.changed) return { action: 'unchanged', kept };
  return {
    action: 'remove',
    document: removal.document,
    removed: removal.removed.map((subject) => subject.value),
    kept,
  };
}
