import { NamedError } from '../functions/core/errors.ts';

/** A task's descriptor lists a grant that infra/grants.ts does not define. */
export class UnknownGrantError extends NamedError {
  override readonly name = 'UnknownGrantError';
}

/** README.md has no place for the generated permission tables, or more than one. */
export class PermissionTablesMarkerError extends NamedError {
  override readonly name = 'PermissionTablesMarkerError';
}

/** A grant cannot be built with the stack's settings (one that creates roles, without a boundary). */
export class GrantSettingsError extends NamedError {
  override readonly name = 'GrantSettingsError';
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
