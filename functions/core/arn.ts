/**
 * Role ARNs as both workflows read them: configs, associations, annotations and add-ons carry
 * ARNs (with the role's path in them), while GetRole and the other IAM calls take the bare name.
 * Parse an ARN once and pass the parts on.
 */

export interface RoleArnParts {
  partition: string;
  account: string;
  /** `/` or `/eks-pia/`: always starts and ends with a slash. */
  path: string;
  name: string;
}

const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role(\/(?:[^/]+\/)*)([^/]+)$/;

/** The parts of a role ARN, or undefined when the text is not one. */
export function parseRoleArn(arn: string): RoleArnParts | undefined {
  const match = ROLE_ARN.exec(arn);
  if (match === null) return undefined;
  const [, partition, account, path, name] = match;
  if (
    partition === undefined ||
    account === undefined ||
    path === undefined ||
    name === undefined
  ) {
    return undefined;
  }
  return { partition, account, path, name };
}

/** A role name as IAM compares it: role names are unique regardless of case. */
export function roleKey(name: string): string {
  return name.toLowerCase();
}

/**
 * Whether two role ARNs name the same IAM role: same account and name (IAM names are unique
 * regardless of case and path), so an association made with or without the role's path counts.
 */
export function namesSameRole(a: string, b: string): boolean {
  const left = parseRoleArn(a);
  const right = parseRoleArn(b);
  return (
    left !== undefined &&
    right !== undefined &&
    left.account === right.account &&
    roleKey(left.name) === roleKey(right.name)
  );
}
