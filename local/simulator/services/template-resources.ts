/** A CloudFormation template's resources as plain data: its roles and their properties. */
export type Template = Record<string, unknown>;

export const ROLE_TYPE = 'AWS::IAM::Role';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function resourcesOf(template: Template): Record<string, unknown> {
  return isRecord(template.Resources) ? template.Resources : {};
}

/** Logical ids of the template's roles, in template order. */
export function roleLogicalIds(template: Template): string[] {
  return Object.entries(resourcesOf(template))
    .filter(([, resource]) => isRecord(resource) && resource.Type === ROLE_TYPE)
    .map(([logicalId]) => logicalId);
}

/** The Properties of a resource, or an empty object. */
export function propertiesOf(template: Template, logicalId: string): Record<string, unknown> {
  const resource = resourcesOf(template)[logicalId];
  return isRecord(resource) && isRecord(resource.Properties) ? resource.Properties : {};
}
