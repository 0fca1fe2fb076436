/**
 * The `*` / `?` globs IAM and this service's settings use: `*` any run of characters, `?` exactly
 * one. Path-style globs do not fit what is matched here: in a role ARN such as
 * `arn:aws:iam::111122223333:role/teams/app`, `*` must match across `/` like any other character,
 * and policy resources and actions use the same `*` and `?` rules.
 */

/** A glob as a regular expression over the whole value (`i` in `flags` for IAM action names). */
export function globRegex(pattern: string, flags: string): RegExp {
  const source = [...pattern]
    .map((char) => {
      if (char === '*') return '.*';
      if (char === '?') return '.';
      return char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, flags);
}

/** Case-sensitive glob match over the whole value. */
export function globMatches(pattern: string, value: string): boolean {
  return globRegex(pattern, 's').test(value);
}
