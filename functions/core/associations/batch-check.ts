/**
 * What the two tasks of a batch share: prepare-association-batch checks the batch document
 * (against the workflow's state and the guardrails) and does the batch's CloudFormation part;
 * apply-association-batch then carries the document out, but only the document that was checked,
 * which it reads by the seal (functions/aws/run-store.ts) the check hands it through the
 * workflow's state, out of reach of anyone who can write to the run store.
 */
import { NamedError } from '../errors.ts';
import { ASSOCIATION_DOCUMENTS, runDocumentKey } from '../run-documents.ts';
import { jsonBytes } from '../run-output.ts';
import { podIdentityTrustStatus } from '../trust-policy.ts';
import type { ExistingAssociation, ExistingRole } from './existing.ts';
import { roleUsageKey, roleUsedElsewhere } from './plan.ts';
import type { BatchDocument, RoleUsage } from './run-plan.ts';

/**
 * Items of one batch handled at once, by each of its tasks. IAM's account-wide rate limits are the
 * bottleneck, and the SDK's adaptive retries absorb short bursts; more would only trade latency
 * for throttles.
 */
export const ITEM_CONCURRENCY = 5;

/**
 * eksctl's role stack of one of the batch's associations, as prepare-association-batch found it;
 * for a delete, with what decided whether to delete it (see EksctlStackState in plan.ts).
 */
export interface EksctlStackFinding {
  namespace: string;
  serviceAccount: string;
  stackName?: string | undefined;
  /** Delete: why the stack's tags do not show it is this association's; it is kept. */
  notOwned?: string | undefined;
  /** Delete: the role ARN the stack names (its `Role1` output). */
  roleArn?: string | undefined;
  /** Delete: whether another association uses the stack's role; left out when not told. */
  roleInUseElsewhere?: boolean | undefined;
  /** Deleted by prepare-association-batch: a delete removes eksctl's stack with the association. */
  deleted?: true | undefined;
  /** Why the stack could not be looked up (no `stackName`) or deleted. */
  failure?: string | undefined;
}

/**
 * A role an entry of the batch names by roleARN, as prepare-association-batch's guardrail check
 * read it (GetRole) right before apply-association-batch: whether IAM has it, and which actions
 * its trust lacks for pods.eks.amazonaws.com. apply-association-batch checks the role it passes
 * to EKS by this (checkGivenRole) instead of reading it again; a role the check did not read
 * (one the guardrails allow by its ARN alone) it reads itself.
 */
export interface PreparedRole {
  /** The role's name as the entry's roleARN gives it. */
  name: string;
  exists: boolean;
  /** sts:AssumeRole and sts:TagSession, those its trust does not allow pods.eks.amazonaws.com. */
  missingTrustActions: string[];
}

/** A role given by ARN as the checks judge it, from its GetRole (undefined: IAM has none). */
export function preparedRole(
  name: string,
  role: Pick<ExistingRole, 'trustPolicy'> | undefined,
): PreparedRole {
  return {
    name,
    exists: role !== undefined,
    missingTrustActions:
      role === undefined ? [] : podIdentityTrustStatus(role.trustPolicy).missingActions,
  };
}

/** What prepare-association-batch hands apply-association-batch through the workflow's state. */
export interface BatchPreparation {
  /** The run store's seal of the document checked: only that document is carried out. */
  document: { location: string; sha256: string };
  eksctlStacks: EksctlStackFinding[];
  /** At most one per entry of the batch, so the state stays small. */
  roles: PreparedRole[];
  /**
   * The associations the check described, as EKS described them, so apply-association-batch does
   * not describe them again; as many as fit in {@link PREPARED_ASSOCIATIONS_BYTES} (it describes
   * the rest itself).
   */
  associations: ExistingAssociation[];
}

/** What the described associations may add to the workflow's state between the two tasks. */
export const PREPARED_ASSOCIATIONS_BYTES = 64 * 1024;

/** The associations of `described` that fit in {@link PREPARED_ASSOCIATIONS_BYTES}, in order. */
export function preparedAssociations(
  described: readonly ExistingAssociation[],
): ExistingAssociation[] {
  const kept: ExistingAssociation[] = [];
  let bytes = 0;
  for (const association of described) {
    bytes += jsonBytes(association);
    if (bytes > PREPARED_ASSOCIATIONS_BYTES) break;
    kept.push(association);
  }
  return kept;
}

/**
 * The batch's document is not the one the run planned: it names another batch, cluster or
 * operation than the workflow runs, or breaks the guardrails load-association-request checked the
 * request against (or, meanwhile, a role lost its opt-in tag, a customer managed policy it
 * attaches was given more or deleted, or an association lost the role the guardrails let it keep
 * only as its current one). A document under `runs/` was changed; the batch changes nothing.
 */
export class RunDocumentTamperedError extends NamedError {
  override readonly name = 'RunDocumentTamperedError';

  constructor(
    runId: string,
    batch: number,
    problem: { mismatch: string } | { violations: readonly string[] },
  ) {
    const document = `the batch document of run ${runId} (${runDocumentKey(runId, ASSOCIATION_DOCUMENTS.batch(batch).name)})`;
    const outcome = 'this batch changed nothing. Start a new run from the config';
    if ('mismatch' in problem) {
      super(
        `${document} ${problem.mismatch}, so it was changed after plan-associations wrote it; ${outcome}`,
      );
    } else {
      super(
        [
          `${document} breaks the guardrails although load-association-request accepted the request, so it was changed after it was validated (or, meanwhile, a role lost its opt-in tag, a customer managed policy it attaches was given more or deleted, or an association lost the role it may keep only as its current one); ${outcome}; violations:`,
          ...problem.violations,
        ].join('\n'),
      );
    }
  }
}

/**
 * Whether an association other than `self` uses a role, from the batch document's share of the
 * run's role usage, or (a role it does not cover: the association was moved to another role after
 * planning) from the run's whole role usage document, read at most once. Undefined when the run
 * keeps no role usage (nothing of the run deletes roles).
 */
export function batchRoleUsage(
  document: BatchDocument,
  loadRoleUsage: () => Promise<RoleUsage>,
):
  | ((roleArn: string, self: { namespace: string; serviceAccount: string }) => Promise<boolean>)
  | undefined {
  const usage = document.roleUsage;
  if (usage === undefined) return undefined;
  const covered = new Set(usage.roles);
  let whole: Promise<RoleUsage> | undefined;
  return async (roleArn, self) => {
    if (covered.has(roleUsageKey(roleArn)))
      return roleUsedElsewhere(roleArn, usage.associations, self);
    whole ??= loadRoleUsage();
    return roleUsedElsewhere(roleArn, await whole, self);
  };
}
