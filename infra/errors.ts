import { namedErrorClass } from '../functions/core/errors.ts';

/** A task's descriptor lists a grant that infra/grants.ts does not define. */
export const UnknownGrantError = namedErrorClass('UnknownGrantError');

/** README.md has no place for the generated permission tables, or more than one. */
export const PermissionTablesMarkerError = namedErrorClass('PermissionTablesMarkerError');

/** A grant cannot be built with the stack's settings (one that creates roles, without a boundary). */
export const GrantSettingsError = namedErrorClass('GrantSettingsError');

/** A trigger that would match more objects than the uploads meant to start a run. */
export const TriggerSettingsError = namedErrorClass('TriggerSettingsError');

/** The VPC settings for the Kubernetes-calling tasks are incomplete or malformed. */
export const NetworkSettingsError = namedErrorClass('NetworkSettingsError');

/** The stack name given as context is not one CloudFormation accepts. */
export const StackNameError = namedErrorClass('StackNameError');

/** The alarm settings given as context are not usable. */
export const AlarmSettingsError = namedErrorClass('AlarmSettingsError');

/** An SDK file the bundle build rewrites is not shaped as the rewrite expects. */
export const SdkPackageShapeError = namedErrorClass('SdkPackageShapeError');

/** The drift check's schedule or heal setting is not one the stack can deploy. */
export const DriftScheduleSettingsError = namedErrorClass('DriftScheduleSettingsError');
