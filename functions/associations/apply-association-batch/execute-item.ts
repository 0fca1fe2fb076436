/**
 * Carries out one item's decision, step by step in the order `ItemChanges` prescribes, and stops
 * at the first failing step with eksctl's wording for it. Every step is idempotent, so a batch
 * that Step Functions retries after a timeout converges instead of failing on what it already did.
 * A role created here is deleted again when a later step of the item fails, unless an association
 * already uses it; one left behind by a run that died is adopted by its ownership tags on rerun.
 */

import { parseRoleArn } from '../../core/arn.ts';
import type { ManagedRole } from '../../core/associations/desired.ts';
import type {
  AssociationFieldChanges,
  ItemDecision,
  NewAssociation,
  RoleChanges,
} from '../../core/associations/plan.ts';
import {
  type ExecutionStep,
  failureReason,
  type ItemOutcome,
} from '../../core/associations/report.ts';
import { NamedError } from '../../core/errors.ts';
import { SERVICE_ACCOUNT_CREATED_TAG } from '../../core/naming.ts';

export interface ExecuteDeps {
  /**
   * Creates the role, or (`created: false`) adopts a role of that name an earlier run made for the
   * association and reconciles it; fails on a role of that name that is not eks-pia's for it.
   */
  createManagedRole(role: ManagedRole): Promise<{ arn: string; created: boolean }>;
  reconcileRole(roleName: string, changes: RoleChanges): Promise<void>;
  deleteRole(roleName: string): Promise<void>;
  /**
   * eksctl's role stack (and so its role) is gone: prepare-association-batch, the task with
   * CloudFormation access, deleted it before this batch's other steps, and this step fails the
   * item, before its association is deleted, when it did not. The stack is `owner`'s (another
   * association's stack may have the same name).
   */
  deleteEksctlStack(
    stackName: string,
    owner: { namespace: string; serviceAccount: string },
  ): Promise<void>;
  /**
   * Creates the namespace and the service account, labelled as eks-pia's, unless it exists; never
   * touches one that exists. Says whether it is eks-pia's (created now, or by an earlier run).
   */
  ensureServiceAccount(
    namespace: string,
    name: string,
  ): Promise<{ created: boolean; ours: boolean }>;
  deleteServiceAccount(namespace: string, name: string): Promise<void>;
  /** `trustJustChanged`: this item created the role or wrote its pod identity trust just now. */
  createAssociation(
    namespace: string,
    serviceAccount: string,
    association: NewAssociation,
    trustJustChanged: boolean,
  ): Promise<void>;
  updateAssociation(
    associationId: string,
    changes: AssociationFieldChanges,
    trustJustChanged: boolean,
  ): Promise<void>;
  deleteAssociation(associationId: string): Promise<void>;
  /** The role ARN of the association of this service account, when there is one. */
  associationRoleArn(namespace: string, serviceAccount: string): Promise<string | undefined>;
}

/**
 * The association this item was to create appeared between the decision and the create, with a
 * role of someone else's choosing: it is left as it is, and a rerun decides on it afresh.
 */
export class AssociationCreatedMeanwhileError extends NamedError {
  override readonly name = 'AssociationCreatedMeanwhileError';
  constructor(serviceAccount: string, roleArn: string) {
    super(
      `an association for ${serviceAccount} was created meanwhile, with role ${roleArn}; it was left as it is: run again to decide on it`,
    );
  }
}

export async function executeItem(decision: ItemDecision, deps: ExecuteDeps): Promise<ItemOutcome> {
  const outcome: ItemOutcome = {};
  const changes = decision.changes;
  const { namespace, serviceAccount } = decision;
  const step = async (name: ExecutionStep, action: () => Promise<void>): Promise<boolean> => {
    try {
      await action();
      return true;
    } catch (error) {
      outcome.error = failureReason(name, decision, error);
      return false;
    }
  };

  const createRole = changes.createRole;
  if (createRole) {
    const done = await step('create-role', async () => {
      const made = await deps.createManagedRole(createRole);
      outcome.roleArn = made.arn;
      // An adopted role is not rolled back: like any role of an earlier run, the next run uses it.
      outcome.roleCreated = made.created;
    });
    if (!done) return outcome;
  }
  const failed = async (): Promise<ItemOutcome> => {
    if (createRole && outcome.roleCreated) await rollBackRole(createRole, decision, outcome, deps);
    return outcome;
  };
  const roleChanges = changes.role;
  if (roleChanges && decision.roleName) {
    const roleName = decision.roleName;
    if (!(await step('update-role', () => deps.reconcileRole(roleName, roleChanges))))
      return failed();
  }
  let newAssociation = changes.createAssociation;
  if (changes.createServiceAccount) {
    const done = await step('create-service-account', async () => {
      const ensured = await deps.ensureServiceAccount(namespace, serviceAccount);
      outcome.serviceAccountCreated = ensured.created;
      // Someone created it between the decision and now: it is theirs, and must not be recorded as ours.
      if (!ensured.ours && newAssociation?.tags[SERVICE_ACCOUNT_CREATED_TAG] !== undefined) {
        const { [SERVICE_ACCOUNT_CREATED_TAG]: _mark, ...tags } = newAssociation.tags;
        newAssociation = { ...newAssociation, tags };
      }
    });
    if (!done) return failed();
  }
  // EKS may not see a trust written a moment ago; only then is its trust refusal worth retrying.
  const trustJustChanged = createRole !== undefined || roleChanges?.trust !== undefined;
  if (newAssociation) {
    const association = newAssociation;
    const done = await step('create-association', () =>
      deps.createAssociation(namespace, serviceAccount, association, trustJustChanged),
    );
    if (!done) return failed();
  }
  const fieldChanges = changes.association;
  if (fieldChanges && decision.associationId) {
    const id = decision.associationId;
    if (
      !(await step('update-association', () =>
        deps.updateAssociation(id, fieldChanges, trustJustChanged),
      ))
    )
      return outcome;
  }
  // Removal order (see ItemChanges): service account, role, eksctl's role stack, association last,
  // so an interrupted removal leaves the association for the rerun to find.
  if (changes.deleteServiceAccount) {
    const done = await step('delete-service-account', () =>
      deps.deleteServiceAccount(namespace, serviceAccount),
    );
    if (!done) return outcome;
  }
  if (changes.deleteRole && decision.roleName) {
    const roleName = decision.roleName;
    if (!(await step('delete-role', () => deps.deleteRole(roleName)))) return outcome;
  }
  const stackName = changes.deleteStack;
  if (stackName) {
    const owner = { namespace, serviceAccount };
    if (!(await step('delete-stack', () => deps.deleteEksctlStack(stackName, owner))))
      return outcome;
  }
  if (changes.deleteAssociation && decision.associationId) {
    const id = decision.associationId;
    await step('delete-association', () => deps.deleteAssociation(id));
  }
  return outcome;
}

/**
 * Deletes the role this item just created after a later step failed, so no role is left that
 * nothing uses. An association that uses it anyway (its create succeeded but the answer was lost)
 * keeps it. When the rollback itself fails, the reason says so; the rerun adopts the role by its
 * ownership tags.
 */
async function rollBackRole(
  role: ManagedRole,
  decision: ItemDecision,
  outcome: ItemOutcome,
  deps: ExecuteDeps,
): Promise<void> {
  try {
    const used = await deps.associationRoleArn(decision.namespace, decision.serviceAccount);
    if (used !== undefined && parseRoleArn(used)?.name === role.roleName) return;
    await deps.deleteRole(role.roleName);
    outcome.roleCreated = false;
    outcome.error = `${outcome.error ?? ''}; the IAM role "${role.roleName}" created for it was deleted again`;
  } catch (error) {
    outcome.error = `${outcome.error ?? ''}; the IAM role "${role.roleName}" created for it could not be deleted again (${error instanceof Error ? error.message : String(error)}); the next run adopts it`;
  }
}
