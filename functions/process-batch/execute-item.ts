/**
 * Carries out one item's decision, step by step in the order `ItemChanges` prescribes, and stops
 * at the first failing step with eksctl's wording for it. Every step is idempotent, so a batch
 * that Step Functions retries after a timeout converges instead of failing on what it already did.
 */
import type { ManagedRole } from '../core/associations/desired.ts';
import type {
  AssociationFieldChanges,
  ItemDecision,
  NewAssociation,
  RoleChanges,
} from '../core/associations/plan.ts';
import {
  type ExecutionStep,
  failureReason,
  type ItemOutcome,
} from '../core/associations/report.ts';

export interface ExecuteDeps {
  createManagedRole(role: ManagedRole): Promise<{ arn: string }>;
  reconcileRole(roleName: string, changes: RoleChanges): Promise<void>;
  deleteRole(roleName: string): Promise<void>;
  /** Deletes eksctl's role stack (and so its role) and waits until it is gone. */
  deleteEksctlStack(stackName: string): Promise<void>;
  /** Creates the namespace and service account when missing, else labels it; true when it was created. */
  ensureServiceAccount(namespace: string, name: string): Promise<boolean>;
  deleteServiceAccount(namespace: string, name: string): Promise<void>;
  createAssociation(
    namespace: string,
    serviceAccount: string,
    association: NewAssociation,
  ): Promise<void>;
  updateAssociation(associationId: string, changes: AssociationFieldChanges): Promise<void>;
  deleteAssociation(associationId: string): Promise<void>;
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
      outcome.roleArn = (await deps.createManagedRole(createRole)).arn;
      outcome.roleCreated = true;
    });
    if (!done) return outcome;
  }
  const roleChanges = changes.role;
  if (roleChanges && decision.roleName) {
    const roleName = decision.roleName;
    if (!(await step('update-role', () => deps.reconcileRole(roleName, roleChanges))))
      return outcome;
  }
  if (changes.createServiceAccount) {
    const done = await step('create-service-account', async () => {
      outcome.serviceAccountCreated = await deps.ensureServiceAccount(namespace, serviceAccount);
    });
    if (!done) return outcome;
  }
  const newAssociation = changes.createAssociation;
  if (newAssociation) {
    const done = await step('create-association', () =>
      deps.createAssociation(namespace, serviceAccount, newAssociation),
    );
    if (!done) return outcome;
  }
  const fieldChanges = changes.association;
  if (fieldChanges && decision.associationId) {
    const id = decision.associationId;
    if (!(await step('update-association', () => deps.updateAssociation(id, fieldChanges))))
      return outcome;
  }
  if (changes.deleteAssociation && decision.associationId) {
    const id = decision.associationId;
    if (!(await step('delete-association', () => deps.deleteAssociation(id)))) return outcome;
  }
  // The role is only free once its association is gone, and the service account last of all.
  if (changes.deleteRole && decision.roleName) {
    const roleName = decision.roleName;
    if (!(await step('delete-role', () => deps.deleteRole(roleName)))) return outcome;
  }
  const stackName = changes.deleteStack;
  if (stackName) {
    if (!(await step('delete-stack', () => deps.deleteEksctlStack(stackName)))) return outcome;
  }
  if (changes.deleteServiceAccount) {
    await step('delete-service-account', () =>
      deps.deleteServiceAccount(namespace, serviceAccount),
    );
  }
  return outcome;
}
