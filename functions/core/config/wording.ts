/**
 * How values and mistakes are put into words in validation messages: quoting user input,
 * naming what was found instead of what was expected, and "did you mean" suggestions.
 */

const MAX_QUOTED_LENGTH = 200;

/** A user-supplied string in double quotes (like Go's %q), shortened when it is long. */
export function quote(value: string): string {
  const shown =
    value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH - 3)}...` : value;
  return JSON.stringify(shown);
}

/** `a`, `a and b`, `a, b and c`. */
export function listInEnglish(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** Names a decoded YAML/JSON value the way a person reading the file would see it. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

const EXPECTED_WORDING: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/**
 * "must be a string, got the number 1.3", with a hint for the two YAML pitfalls that cause
 * most of these: an unquoted number or boolean where text is expected (`version: 1.30` reads
 * as 1.3), and a quoted `"true"` where a boolean is expected.
 */
export function typeMismatch(expected: string, value: unknown): string {
  const message = `must be ${EXPECTED_WORDING[expected] ?? expected}, got ${describeValue(value)}`;
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    return `${message}; put the value in quotes so YAML reads it as text`;
  }
  if (expected === 'boolean' && typeof value === 'string') {
    return `${message}; write true or false without quotes`;
  }
  return message;
}

/** Optimal string alignment distance: edits, plus swaps of adjacent characters. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const distances: number[] = new Array(rows * columns).fill(0);
  const at = (i: number, j: number): number => distances[i * columns + j] ?? 0;
  for (let i = 0; i < rows; i++) distances[i * columns] = i;
  for (let j = 0; j < columns; j++) distances[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      distances[i * columns + j] = best;
    }
  }
  return at(rows - 1, columns - 1);
}

/** Longer than any field name; the distance costs length × length, so long keys get no hint. */
const MAX_SUGGESTION_INPUT_LENGTH = 64;

/**
 * The candidate a misspelt name most likely meant. Case is ignored, because the usual slip in
 * eksctl files is `roleArn` for `roleARN`; up to a third of the name may differ otherwise, so
 * `serviceAccount` still finds `serviceAccountName`.
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  if (name.length > MAX_SUGGESTION_INPUT_LENGTH) return undefined;
  const wanted = name.toLowerCase();
  let closest: string | undefined;
  let closestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    // The distance is at least the difference in length, so far-off candidates are skipped.
    if (Math.abs(candidate.length - wanted.length) >= closestDistance) continue;
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance < closestDistance) {
      closest = candidate;
      closestDistance = distance;
    }
  }
  return closest;
}
