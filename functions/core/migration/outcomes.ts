/**
 * What each apply step did, per role or per service account, as the step tasks store it in the
 * run store (one document per batch) and the later steps and the report read it back.
 * `not-attempted` means an earlier step this one depends on did not succeed; `reason` says which.
 */

export interface RoleTrustOutcome {
  roleIndex: number;
  result: 'added' | 'present' | 'failed';
  reason?: string | undefined;
  /** For a role changed through its eksctl stack: the stack's status afterwards. */
  stackStatus?: string | undefined;
}

export interface AssociationOutcome {
  serviceAccountIndex: number;
  result: 'created' | 'exists' | 'conflict' | 'failed' | 'not-attempted';
  reason?: string | undefined;
}

export interface AnnotationOutcome {
  serviceAccountIndex: number;
  /**
   * `absent`: there was no annotation (any more), or no service account; `changed`: it names
   * another role now, so it was left alone and this service account's OIDC trust is kept.
   */
  result: 'removed' | 'absent' | 'changed' | 'failed' | 'not-attempted';
  reason?: string | undefined;
}

export interface KeptSubject {
  subject: string;
  reason: string;
}

export interface OidcTrustOutcome {
  roleIndex: number;
  /** `unchanged`: nothing of this cluster's OIDC trust was left to remove for the migrated service accounts. */
  result: 'removed' | 'unchanged' | 'kept' | 'failed';
  /** `:sub` values taken out of the trust policy. */
  removed: string[];
  /** For a role changed through its eksctl stack: the stack's status afterwards. */
  stackStatus?: string | undefined;
  /** This cluster's subjects of the migrated service accounts that stay, each with the reason. */
  kept: KeptSubject[];
  reason?: string | undefined;
}

/** The outcome of a role a step failed on. */
export function failedRole(roleIndex: number, reason: string) {
  return { roleIndex, result: 'failed' as const, reason };
}

/** The outcome of a service account a step failed on. */
export function failedServiceAccount(serviceAccountIndex: number, reason: string) {
  return { serviceAccountIndex, result: 'failed' as const, reason };
}

export function associationExists(outcome: AssociationOutcome | undefined): boolean {
  return outcome?.result === 'created' || outcome?.result === 'exists';
}

export function annotationGone(outcome: AnnotationOutcome | undefined): boolean {
  return outcome?.result === 'removed' || outcome?.result === 'absent';
}

/** Outcomes of a batch step, by the index they are about. */
export function byIndex<T>(
  outcomes: readonly T[],
  indexOf: (outcome: T) => number,
): Map<number, T> {
  return new Map(outcomes.map((outcome) => [indexOf(outcome), outcome]));
}

/** The steps each batch of the migration goes through, in the order they run. */
export const MIGRATION_STEPS = ['trust', 'associations', 'annotations', 'oidcTrust'] as const;
export type MigrationStep = (typeof MIGRATION_STEPS)[number];
