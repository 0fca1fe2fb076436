/**
 * The AWS Query protocol as IAM, STS and CloudFormation receive it: a form-encoded body (or, for a
 * presigned URL, the query string) with `Action`, `Version` and flattened parameters such as
 * `PolicyNames.member.1` or `Tags.member.2.Key`. Also the opaque page tokens these APIs hand out
 * and the key order AWS lists in, which S3 shares.
 */
import {
  queryResult,
  type ServiceName,
  SimError,
  type SimRequest,
  type XmlValue,
} from '../protocol.ts';
import type { ServiceModule } from '../server.ts';
import type { SimulatorState } from '../state.ts';

interface QueryCall {
  readonly action: string;
  readonly params: QueryParams;
}

/**
 * Reads `Action` and `Version`; an action of another API version is unknown to the service, as
 * AWS answers it.
 */
function parseQueryCall(request: SimRequest, version: string): QueryCall {
  const form =
    request.method === 'GET' || request.body.length === 0
      ? request.url.searchParams
      : new URLSearchParams(request.body.toString('utf8'));
  const action = form.get('Action');
  if (!action) throw new SimError('MissingAction', 'Missing Action', 400);
  const requestedVersion = form.get('Version');
  if (requestedVersion !== null && requestedVersion !== version) {
    throw unknownAction(action, requestedVersion);
  }
  return { action, params: new QueryParams(form) };
}

/**
 * How a Query action runs: parsing checks the request's shape (the part AWS validates before
 * looking anything up), and what it returns reads or changes the world.
 */
export type QueryAction = (params: QueryParams) => (state: SimulatorState) => XmlValue | undefined;

/**
 * AWS names the actions that only read Get, List or Describe, and every other one may change
 * something (a describe that lets a simulated operation settle still counts as a read).
 */
const READ_ONLY_ACTION = /^(Get|List|Describe)[A-Z]/;

/** A Query service of one API version that answers `actions`, by name. */
export function queryService(
  service: ServiceName,
  version: string,
  actions: Readonly<Record<string, QueryAction>>,
): ServiceModule {
  return {
    service,
    resolve(request, context) {
      const { action, params } = parseQueryCall(request, version);
      // Own keys only: an Action such as `constructor` must not reach Object.prototype.
      const parse = Object.hasOwn(actions, action) ? actions[action] : undefined;
      if (!parse) throw unknownAction(action, version);
      const run = parse(params);
      return {
        operation: action,
        mutating: !READ_ONLY_ACTION.test(action),
        run: () => queryResult(service, action, run(context.state), context.requestId),
      };
    },
  };
}

function unknownAction(action: string, version: string): SimError {
  return new SimError(
    'InvalidAction',
    `Could not find operation ${action} for version ${version}`,
    400,
  );
}

/** AWS names a parameter in validation messages by its lower-camel member name (`roleName`). */
function memberName(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** A constraint violation worded as AWS's request validation words it. */
export function validationError(name: string, value: string | null, constraint: string): SimError {
  const shown = value === null ? 'null' : `'${value}'`;
  return new SimError(
    'ValidationError',
    `1 validation error detected: Value ${shown} at '${memberName(name)}' failed to satisfy constraint: ${constraint}`,
    400,
  );
}

/**
 * Refuses a value that does not match `pattern`, the member's pattern as AWS's API model spells
 * it (and as AWS quotes it in the error).
 */
export function assertPattern(name: string, value: string, pattern: string): void {
  // Unicode mode, for the \p{...} classes some of AWS's patterns use.
  if (!new RegExp(`^(?:${pattern})$`, 'u').test(value)) {
    throw validationError(
      name,
      value,
      `Member must satisfy regular expression pattern: ${pattern}`,
    );
  }
}

export interface QueryTag {
  Key: string;
  Value: string;
}

export class QueryParams {
  constructor(private readonly form: URLSearchParams) {}

  string(name: string): string | undefined {
    return this.form.get(name) ?? undefined;
  }

  required(name: string): string {
    const value = this.form.get(name);
    if (value === null) throw validationError(name, null, 'Member must not be null');
    return value;
  }

  integer(name: string): number | undefined {
    const text = this.form.get(name);
    if (text === null) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value)) {
      throw new SimError('MalformedQueryString', `${name} must be an integer, got '${text}'`, 400);
    }
    return value;
  }

  /** `Name.member.N` values in index order; `Name=` (how the SDK sends an empty list) is empty. */
  list(name: string): string[] {
    return this.members(name).map((index) => this.form.get(`${name}.member.${index}`) ?? '');
  }

  /** `Name.member.N.Key` / `Name.member.N.Value` pairs in index order. */
  tags(name: string): QueryTag[] {
    return this.members(name).map((index) => ({
      Key: this.form.get(`${name}.member.${index}.Key`) ?? '',
      Value: this.form.get(`${name}.member.${index}.Value`) ?? '',
    }));
  }

  /** Member indexes of a list parameter; `name` is one of our own parameter names, never input. */
  private members(name: string): number[] {
    const pattern = new RegExp(`^${name}\\.member\\.(\\d+)(\\.|$)`);
    const indexes = new Set<number>();
    for (const key of this.form.keys()) {
      const match = pattern.exec(key);
      if (match?.[1]) indexes.add(Number(match[1]));
    }
    return [...indexes].sort((a, b) => a - b);
  }
}

export interface Page<T> {
  items: T[];
  /** Token for the next page; absent on the last page. */
  next?: string;
}

/**
 * One page of `items` ordered by `keyOf`, resuming after the key a token names. Tokens name a key
 * rather than an offset, so a page boundary stays put when earlier items are added or removed
 * between calls, and no item is listed twice.
 */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  token: string | undefined,
  pageSize: number,
  invalidToken: () => SimError,
): Page<T> {
  const sorted = [...items].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  let start = 0;
  if (token !== undefined) {
    const after = decodeToken(token);
    if (after === undefined) throw invalidToken();
    start = sorted.findIndex((item) => compareKeys(keyOf(item), after) > 0);
    if (start < 0) start = sorted.length;
  }
  const page = sorted.slice(start, start + pageSize);
  const last = page.at(-1);
  if (start + pageSize >= sorted.length || last === undefined) return { items: page };
  return { items: page, next: encodeToken(keyOf(last)) };
}

/** Byte order of the UTF-8 encoding, the order AWS lists names and keys in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const tokenPrefix = 'sim1:';

export function encodeToken(key: string): string {
  return Buffer.from(`${tokenPrefix}${key}`, 'utf8').toString('base64');
}

export function decodeToken(token: string): string | undefined {
  const text = Buffer.from(token, 'base64').toString('utf8');
  return text.startsWith(tokenPrefix) ? text.slice(tokenPrefix.length) : undefined;
}
