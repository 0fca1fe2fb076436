/**
 * What the guardrails (guardrails.ts) find wrong with a request, and the refusal that lists it;
 * and the settling of the violations that stand only unless the association already has the role
 * ({@link CurrentRoleCondition}). Apart from guardrails.ts, so that plan-associations, which
 * settles those, carries neither the guardrails' settings nor the action catalogue.
 */
import pMap from 'p-map';
import { issueLine } from '../config/issues.ts';
import { NamedError } from '../errors.ts';

export interface GuardrailViolation {
  /** Where in the input, e.g. `iam.podIdentityAssociations[1].permissionPolicy.Statement[0]`. */
  path: string;
  message: string;
  /** `namespace/serviceAccount` of the entry. */
  association: string;
  /**
   * Set when the violation stands only if the association does not already have the role: see
   * {@link CurrentRoleCondition}. Undefined for a violation that stands whatever EKS says.
   */
  unlessCurrentRole?: CurrentRoleCondition | undefined;
}

/**
 * An association (a standalone one: add-ons' are theirs to manage) that names as `roleARN` an
 * existing role of the account the deployment does not let configs associate (no eks-pia path,
 * no opt-in tag, no pattern). That role is still allowed when it is the role the association has
 * now (same cluster, namespace and service account): keeping it grants nothing, and `update`
 * (which requires a role) and `apply` of a declared association must be able to say so, for
 * example after a migration left an IRSA role on the association.
 *
 * What the association's role is now only EKS can say, and load-association-request, which
 * judges the request, carries no EKS client (with it, its bundle would grow from 363 to about
 * 391 KiB of the 400 KiB budget, bench/bundles.ts, and the task would need EKS read grants). So
 * the guardrails return such a violation with this condition, and the
 * workflow settles it on what EKS says ({@link settleCurrentRoleConditions}):
 * load-association-request records the conditions in the request, plan-associations (which lists
 * the cluster's associations anyway, and runs before any step that changes anything) refuses the
 * whole run with PolicyGuardViolation when one of those associations does not have its role, dry
 * run included; and prepare-association-batch, which re-checks each batch's entries before the
 * batch changes anything, settles the conditions it finds itself by describing the association,
 * so that a request or batch document changed after planning cannot slip a role through.
 */
export interface CurrentRoleCondition {
  namespace: string;
  serviceAccount: string;
  roleArn: string;
}

/** The role an association has now, as EKS describes it; `undefined` when it has none. */
export type CurrentRoleReader = (
  namespace: string,
  serviceAccount: string,
) => Promise<string | undefined>;

/** An error whose message is its headline, then one line per guardrail violation. */
export abstract class GuardrailViolationsError extends NamedError {
  readonly violations: readonly GuardrailViolation[];

  constructor(headline: string, violations: readonly GuardrailViolation[]) {
    super([headline, ...violations.map(issueLine)].join('\n'));
    this.violations = violations;
  }
}

/** The whole config is rejected: it would grant what the guardrails forbid. */
export class PolicyGuardViolation extends GuardrailViolationsError {
  override readonly name = 'PolicyGuardViolation';

  constructor(subject: string, violations: readonly GuardrailViolation[]) {
    const count = `${violations.length} guardrail violation${violations.length === 1 ? '' : 's'}`;
    super(`${subject} was rejected as a whole and nothing was changed: ${count}:`, violations);
  }
}

/** Associations described at once. */
const SETTLE_CONCURRENCY = 5;

/**
 * The violations that stand once the conditional ones ({@link CurrentRoleCondition}) are settled
 * on what EKS says: one whose association has the role now is dropped; one whose association
 * has another role, or none, stands, and its message says what EKS has. Each association is read
 * once, through `currentRole`.
 */
export async function settleCurrentRoleConditions(
  violations: readonly GuardrailViolation[],
  currentRole: CurrentRoleReader,
): Promise<GuardrailViolation[]> {
  const reads = new Map<string, Promise<string | undefined>>();
  const read = ({ namespace, serviceAccount }: CurrentRoleCondition) => {
    const key = `${namespace}/${serviceAccount}`;
    let known = reads.get(key);
    if (known === undefined) {
      known = currentRole(namespace, serviceAccount);
      reads.set(key, known);
    }
    return known;
  };
  const settled = await pMap(
    violations,
    async (violation): Promise<GuardrailViolation | undefined> => {
      const condition = violation.unlessCurrentRole;
      if (condition === undefined) return violation;
      const current = await read(condition);
      if (current !== undefined && current === condition.roleArn) return undefined;
      const { unlessCurrentRole: _settled, ...standing } = violation;
      const now =
        current === undefined
          ? `${violation.association} has no pod identity association yet, so the role is not its current one`
          : `the association of ${violation.association} has role ${current} now, not this one`;
      return { ...standing, message: `${violation.message} (${now})` };
    },
    { concurrency: SETTLE_CONCURRENCY },
  );
  return settled.filter((violation) => violation !== undefined);
}

/**
 * Settles the conditional violations a request was accepted with (`conditions`, as guardrails.ts'
 * `checkGuardrails` returned them) and throws PolicyGuardViolation, naming `subject` (the
 * request's source), listing those that stand; returns when none does.
 */
export async function checkCurrentRoleConditions(
  subject: string,
  conditions: readonly GuardrailViolation[],
  currentRole: CurrentRoleReader,
): Promise<void> {
  const standing = await settleCurrentRoleConditions(
    conditions.filter((violation) => violation.unlessCurrentRole !== undefined),
    currentRole,
  );
  if (standing.length > 0) throw new PolicyGuardViolation(subject, standing);
}
