import { NamedError } from '../functions/core/errors.ts';

/** A task has no entry in the permissions map, so it would run without a deliberate IAM policy. */
export class MissingTaskPermissionsError extends NamedError {
  override readonly name = 'MissingTaskPermissionsError';
}

/** A trigger that would match more objects than the uploads meant to start a run. */
export class TriggerSettingsError extends NamedError {
  override readonly name = 'TriggerSettingsError';
}

/** The VPC settings for the Kubernetes-calling tasks are incomplete or malformed. */
export class NetworkSettingsError extends NamedError {
  override readonly name = 'NetworkSettingsError';
}

/** The stack name given as context is not one CloudFormation accepts. */
export class StackNameError extends NamedError {
  override readonly name = 'StackNameError';
}

/** The alarm settings given as context are not usable. */
export class AlarmSettingsError extends NamedError {
  override readonly name = 'AlarmSettingsError';
}
