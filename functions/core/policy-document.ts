/**
 * IAM policy documents: the schema used to read untrusted documents, decoding of the
 * URL-encoded form IAM returns, serialisation for IAM calls, and size as IAM counts it.
 *
 * A parsed document keeps the caller's shape exactly (single strings stay strings, key order
 * is kept), so code that edits one statement can leave every other statement untouched.
 */

import { NamedError } from './errors.ts';
import { globRegex } from './glob.ts';
import * as z from './zod.ts';
import { describeIssues } from './zod-issues.ts';

/** A document that cannot be decoded, is not JSON, or breaks the IAM policy grammar. */
export class PolicyDocumentError extends NamedError {
  override readonly name = 'PolicyDocumentError';
}

const stringOrStrings = z.union([
  z.string().check(z.minLength(1)),
  z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
]);

const principalMapSchema = z
  .strictObject({
    AWS: z.optional(stringOrStrings),
    Service: z.optional(stringOrStrings),
    Federated: z.optional(stringOrStrings),
    CanonicalUser: z.optional(stringOrStrings),
  })
  .check(
    z.refine((principal) => Object.values(principal).some((value) => value !== undefined), {
      message: 'a principal must name at least one of AWS, Service, Federated or CanonicalUser',
    }),
  );

const principalSchema = z.union([z.literal('*'), principalMapSchema]);

const conditionScalarSchema = z.union([z.string(), z.number(), z.boolean()]);
const conditionValueSchema = z.union([conditionScalarSchema, z.array(conditionScalarSchema)]);
/** operator (`StringEquals`, `ForAnyValue:StringLike`, ...) → condition key → value(s). */
const conditionSchema = z.record(z.string(), z.record(z.string(), conditionValueSchema));

const mutuallyExclusive = [
  ['Principal', 'NotPrincipal'],
  ['Action', 'NotAction'],
  ['Resource', 'NotResource'],
] as const;

const statementSchema = z
  .strictObject({
    Sid: z.optional(z.string()),
    Effect: z.enum(['Allow', 'Deny']),
    Principal: z.optional(principalSchema),
    NotPrincipal: z.optional(principalSchema),
    Action: z.optional(stringOrStrings),
    NotAction: z.optional(stringOrStrings),
    Resource: z.optional(stringOrStrings),
    NotResource: z.optional(stringOrStrings),
    Condition: z.optional(conditionSchema),
  })
  .check(
    z.superRefine((statement, ctx) => {
      for (const [field, negated] of mutuallyExclusive) {
        if (statement[field] !== undefined && statement[negated] !== undefined) {
          ctx.addIssue({ code: 'custom', message: `${field} and ${negated} cannot both be set` });
        }
      }
      if (statement.Action === undefined && statement.NotAction === undefined) {
        ctx.addIssue({ code: 'custom', message: 'a statement needs Action or NotAction' });
      }
    }),
  );

export const policyDocumentSchema = z.strictObject({
  Version: z.optional(z.enum(['2012-10-17', '2008-10-17'])),
  Id: z.optional(z.string()),
  Statement: z.union([statementSchema, z.array(statementSchema)]),
});

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type PolicyStatement = z.infer<typeof statementSchema>;
export type Principal = z.infer<typeof principalSchema>;
export type PrincipalMap = Exclude<Principal, '*'>;
export type ConditionBlock = z.infer<typeof conditionSchema>;
export type ConditionValue = z.infer<typeof conditionValueSchema>;

/**
 * Validates an already-parsed value (a world file, a config, a JSON body) as a policy document.
 * The returned document is a deep copy of the input, not zod's output, because zod rebuilds
 * objects in schema key order and the input's own order must survive a round trip.
 */
export function parsePolicyDocument(value: unknown): PolicyDocument {
  const result = policyDocumentSchema.safeParse(value);
  if (!result.success) {
    const problems = describeIssues(result.error.issues);
    throw new PolicyDocumentError(`policy document is invalid: ${problems.join('; ')}`);
  }
  // The schema has no transforms, so the validated input already has the schema's type.
  return structuredClone(value) as PolicyDocument;
}

/**
 * Reads a document as IAM returns it (`GetRole`, `ListRoles`: URL-encoded per RFC 3986) or as
 * plain JSON. Plain JSON is recognised by its leading `{` and is never percent-decoded, since a
 * literal `%` inside a condition value would otherwise be misread.
 */
export function decodePolicyDocument(text: string): PolicyDocument {
  const trimmed = text.trim();
  if (trimmed === '') throw new PolicyDocumentError('policy document is empty');
  let json = trimmed;
  if (!trimmed.startsWith('{')) {
    try {
      json = decodeURIComponent(trimmed);
    } catch {
      throw new PolicyDocumentError(
        'policy document is neither JSON nor valid URL-encoded JSON (bad percent-encoding)',
      );
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PolicyDocumentError(`policy document is not valid JSON: ${reason}`);
  }
  return parsePolicyDocument(value);
}

/** Compact JSON, the form written to IAM (`UpdateAssumeRolePolicy`, `PutRolePolicy`, ...). */
export function serializePolicyDocument(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/**
 * The URL-encoded form IAM returns. `encodeURIComponent` leaves `!'()*` alone, which RFC 3986
 * reserves, so those are escaped too.
 */
export function encodePolicyDocument(doc: PolicyDocument): string {
  return encodeURIComponent(serializePolicyDocument(doc)).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** IAM's string-or-list fields as a list; absent means empty. */
export function toArray<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value as T];
}

/** The statements of a document in order, whether `Statement` is one object or a list. */
export function statementsOf(doc: PolicyDocument): PolicyStatement[] {
  return toArray(doc.Statement);
}

/**
 * A copy of `doc` with its statements replaced (the statements are used as given). A document
 * that held a single statement object keeps that form while it still holds exactly one;
 * otherwise `Statement` is a list.
 */
export function withStatements(
  doc: PolicyDocument,
  statements: readonly PolicyStatement[],
): PolicyDocument {
  const [only] = statements;
  if (!Array.isArray(doc.Statement) && statements.length === 1 && only !== undefined) {
    return { ...doc, Statement: only };
  }
  return { ...doc, Statement: [...statements] };
}

/** IAM reads a document without `Version` as the 2008-10-17 policy language. */
const DEFAULT_POLICY_VERSION = '2008-10-17';

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].toSorted();
}

function byName<T>([a]: [string, T], [b]: [string, T]): number {
  return a.localeCompare(b);
}

function principalKey(principal: Principal | undefined): unknown {
  if (principal === undefined) return null;
  if (principal === '*') return principal;
  return Object.entries(principal)
    .filter(([, names]) => names !== undefined)
    .toSorted(byName)
    .map(([type, names]) => [type, sortedUnique(toArray(names))]);
}

function actionsKey(actions: string | readonly string[] | undefined): string[] | null {
  return actions === undefined
    ? null
    : sortedUnique(toArray(actions).map((action) => action.toLowerCase()));
}

function conditionKey(condition: ConditionBlock | undefined): unknown {
  if (condition === undefined) return null;
  return Object.entries(condition)
    .toSorted(byName)
    .map(([operator, keys]) => [
      operator,
      Object.entries(keys)
        .map(([key, values]): [string, string[]] => [
          key.toLowerCase(),
          sortedUnique(toArray(values).map(String)),
        ])
        .toSorted(byName),
    ]);
}

/**
 * A statement reduced to what decides access, so two statements that grant or deny the same
 * compare equal however they are written: Sid dropped (a label), every string-or-list field a
 * sorted list without repeats, action names and condition keys in lower case (IAM reads them
 * without regard to case), condition values as the strings IAM compares (`true` is `"true"`),
 * keys in one order.
 */
function accessKey(statement: PolicyStatement): string {
  const resources = (value: string | readonly string[] | undefined) =>
    value === undefined ? null : sortedUnique(toArray(value));
  return JSON.stringify([
    statement.Effect,
    principalKey(statement.Principal),
    principalKey(statement.NotPrincipal),
    actionsKey(statement.Action),
    actionsKey(statement.NotAction),
    resources(statement.Resource),
    resources(statement.NotResource),
    conditionKey(statement.Condition),
  ]);
}

/** The statements of `doc` that say something no statement of `other` says (see accessKey). */
export function statementsMissingFrom(
  doc: PolicyDocument,
  other: PolicyDocument,
): PolicyStatement[] {
  const said = new Set(statementsOf(other).map(accessKey));
  return statementsOf(doc).filter((statement) => !said.has(accessKey(statement)));
}

/**
 * Whether two documents grant and deny the same: the same policy language version and the same
 * statements in any order and form (a single statement object is a list of one; see accessKey).
 * `Id`, a label, is not compared.
 */
export function equivalentPolicyDocuments(a: PolicyDocument, b: PolicyDocument): boolean {
  return (
    (a.Version ?? DEFAULT_POLICY_VERSION) === (b.Version ?? DEFAULT_POLICY_VERSION) &&
    statementsMissingFrom(a, b).length === 0 &&
    statementsMissingFrom(b, a).length === 0
  );
}

/**
 * Whether an action pattern from a policy (`sts:*`, `sts:Assume?ole`, `*`) covers an action.
 * IAM action names are case-insensitive; `*` matches any run of characters, `?` one character.
 */
export function actionPatternCovers(pattern: string, action: string): boolean {
  return globRegex(pattern, 'i').test(action);
}

/**
 * Size of a document as counted against IAM quotas ("IAM doesn't count white space"): the
 * number of Unicode code points in its compact JSON, which is the document with all whitespace
 * outside strings removed. Whitespace inside string values is data and is counted, so the
 * figure is never below IAM's. Documents are written in this compact form, so this is also
 * exactly what is sent.
 */
export function policySize(doc: PolicyDocument): number {
  return [...serializePolicyDocument(doc)].length;
}

/** Whether the document fits a size quota such as `AssumeRolePolicySizeQuota` (2,048 by default). */
export function fitsQuota(doc: PolicyDocument, quota: number): boolean {
  if (!Number.isInteger(quota) || quota <= 0) {
    throw new PolicyDocumentError(`policy size quota must be a positive integer, got ${quota}`);
  }
  return policySize(doc) <= quota;
}
