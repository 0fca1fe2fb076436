/**
 * zod's issues worded for people. Kept out of the modules that build schemas, so that a bundle
 * that only words issues (every task's input and output check) does not build their schemas at
 * load.
 */
import type * as z from './zod.ts';

function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      return index === 0 ? String(segment) : `.${String(segment)}`;
    })
    .join('');
}

/**
 * What a union branch expected when it rejected the value as a whole (wrong type or literal),
 * or undefined when the value got past the type check and failed on its content.
 */
function rootExpectations(branch: readonly z.core.$ZodIssue[]): string[] | undefined {
  const [only] = branch;
  if (branch.length !== 1 || only === undefined || only.path.length > 0) return undefined;
  if (only.code === 'invalid_type') return [only.expected];
  if (only.code === 'invalid_value') return only.values.map((value) => JSON.stringify(value));
  if (only.code !== 'invalid_union') return undefined;
  const nested = only.errors.map(rootExpectations);
  return nested.every((expected) => expected !== undefined) ? nested.flat() : undefined;
}

/**
 * zod reports a failed union as "Invalid input"; say instead what was wrong in the branch the
 * value came closest to (the one that got past the type check), or which types would fit.
 * One line per problem, each starting with the path of the field (below `base`).
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  base: PropertyKey[] = [],
): string[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    const where = path.length === 0 ? '' : `${issuePath(path)}: `;
    if (issue.code !== 'invalid_union') return [`${where}${issue.message}`];
    const closest = issue.errors.find((branch) => rootExpectations(branch) === undefined);
    if (closest !== undefined) return describeIssues(closest, path);
    const expected = issue.errors.flatMap((branch) => rootExpectations(branch) ?? []);
    return [`${where}expected ${expected.join(' or ')}`];
  });
}
