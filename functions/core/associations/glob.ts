/**
 * Case-sensitive glob match (`*` any run of characters, `?` exactly one) over the whole value.
 * Path-style globs do not fit what is matched here: in a role ARN such as
 * `arn:aws:iam::111122223333:role/teams/app`, `*` must match across `/` like any other
 * character, and policy resources use the same `*` and `?` rules.
 */
export function globMatches(pattern: string, value: string): boolean {
  const source = [...pattern]
    .map((char) => {
      if (char === '*') return '.*';
      if (char === '?') return '.';
      return char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, 's').test(value);
}
