/**
 * Whether a role's IRSA trust lets one service account of the cluster in, and through what:
 * its exact `:sub` value, a `StringLike` wildcard, or a statement without any `:sub` condition.
 * Only an exact value can later be removed for that service account alone; the other two may
 * serve other service accounts too, so they stay.
 */
import { globMatches } from '../glob.ts';
import { type IrsaTrust, irsaSubjectValue, type ServiceAccountRef } from '../trust-policy.ts';

export type Coverage =
  | { kind: 'subject'; value: string }
  | { kind: 'wildcard'; value: string }
  | { kind: 'cluster-wide' };

/** How `trust` covers `ref`, preferring the most specific form; undefined when it does not. */
export function coverageOf(trust: IrsaTrust, ref: ServiceAccountRef): Coverage | undefined {
  const value = irsaSubjectValue(ref);
  const exact = trust.subjects.find((subject) => !subject.wildcard && subject.value === value);
  if (exact) return { kind: 'subject', value };
  // IAM's StringLike: `*` any run of characters, `?` one character, case-sensitive.
  const wildcard = trust.subjects.find(
    (subject) => subject.wildcard && globMatches(subject.value, value),
  );
  if (wildcard) return { kind: 'wildcard', value: wildcard.value };
  if (trust.statements.some((statement) => statement.clusterWide)) return { kind: 'cluster-wide' };
  return undefined;
}
