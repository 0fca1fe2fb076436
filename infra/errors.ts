import { NamedError } from '../functions/core/errors.ts';

/** A workflow file, or what it references, cannot be turned into infrastructure. */
export class WorkflowDefinitionError extends NamedError {
  override readonly name = 'WorkflowDefinitionError';
}

/** A task has no entry in the permissions map, so it would run without a deliberate IAM policy. */
export class MissingTaskPermissionsError extends NamedError {
  override readonly name = 'MissingTaskPermissionsError';
}

/** A trigger that would match more objects than the uploads meant to start a run. */
export class TriggerSettingsError extends NamedError {
  override readonly name = 'TriggerSettingsError';
}
