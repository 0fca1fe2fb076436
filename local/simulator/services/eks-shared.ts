/**
 * Pieces every simulated EKS operation shares: routing, request decoding, pagination, ARNs,
 * timestamps and EKS's own error texts.
 */
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { json, SimError, type SimRequest, type SimResponse } from '../protocol.ts';
import type { ServiceContext } from '../server.ts';
import type { SimulatorState } from '../state.ts';
import type { WorldCluster } from '../world.ts';

/** One EKS REST operation: its HTTP binding and what a request to it does. */
export interface EksRoute {
  readonly operation: string;
  readonly method: string;
  /** Path segments; `:name` captures a (decoded) path label. */
  readonly path: readonly string[];
  /** Only EKS's GETs leave the world unchanged. */
  readonly mutating: boolean;
  run(request: SimRequest, labels: Record<string, string>, context: ServiceContext): SimResponse;
}

/** A route before the table that lists it names its operation. */
type RouteBinding = Omit<EksRoute, 'operation'>;

/** The routes of `bindings`, each serving the operation it is keyed by. */
export function routes(bindings: Readonly<Record<string, RouteBinding>>): EksRoute[] {
  return Object.entries(bindings).map(([operation, binding]) => ({ operation, ...binding }));
}

/**
 * The request is decoded when the operation runs, after the server's fault injection and rate
 * limit (as AWS throttles before it validates), so a malformed request is still logged under its
 * operation's name. Decoding never touches the world. Every EKS operation answers 200 with a JSON
 * body.
 */
export function route<Input>(spec: {
  /** Method and path as EKS's API reference gives them: `POST /clusters/:clusterName/addons`. */
  http: string;
  decode(request: SimRequest, labels: Record<string, string>): Input;
  /** The body of the answer. */
  run(input: Input, context: ServiceContext): unknown;
}): RouteBinding {
  const [method = '', path = ''] = spec.http.split(' ');
  return {
    method,
    path: path.split('/').filter((segment) => segment.length > 0),
    mutating: method !== 'GET',
    run: (request, labels, context) => json(200, spec.run(spec.decode(request, labels), context)),
  };
}

/**
 * A route under `/clusters/:clusterName`: once the request has decoded, the cluster is looked up
 * (ResourceNotFoundException when there is none) before anything else.
 */
export function clusterRoute<Input>(spec: {
  http: string;
  decode(request: SimRequest, labels: Record<string, string>): Input;
  run(input: Input, cluster: WorldCluster, context: ServiceContext): unknown;
}): RouteBinding {
  return route({
    http: spec.http,
    decode: (request, labels) => ({
      clusterName: labels.clusterName ?? '',
      input: spec.decode(request, labels),
    }),
    run: ({ clusterName, input }, context) =>
      spec.run(input, requireCluster(context.state, clusterName), context),
  });
}

export function matchRoute(
  routes: readonly EksRoute[],
  request: SimRequest,
): { route: EksRoute; labels: Record<string, string> } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== request.method) continue;
    if (candidate.path.length !== request.segments.length) continue;
    const labels: Record<string, string> = {};
    const matches = candidate.path.every((part, index) => {
      const segment = request.segments[index] ?? '';
      if (part.startsWith(':')) {
        labels[part.slice(1)] = segment;
        return segment.length > 0;
      }
      return part === segment;
    });
    if (matches) return { route: candidate, labels };
  }
  return undefined;
}

export function invalidParameter(message: string): SimError {
  return new SimError('InvalidParameterException', message);
}

export function invalidRequest(message: string): SimError {
  return new SimError('InvalidRequestException', message);
}

export function notFound(message: string): SimError {
  return new SimError('ResourceNotFoundException', message);
}

export function inUse(message: string): SimError {
  return new SimError('ResourceInUseException', message);
}

/** Decodes and validates a JSON body; EKS reports shape problems as InvalidParameterException. */
export function decodeBody<Schema extends z.ZodType>(
  request: SimRequest,
  schema: Schema,
): z.infer<Schema> {
  let raw: unknown = {};
  const text = request.body.toString('utf8');
  if (text.trim().length > 0) {
    try {
      raw = JSON.parse(text);
    } catch {
      throw invalidParameter('The request body is not valid JSON');
    }
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`,
    );
    throw invalidParameter(`Invalid request: ${problems.join('; ')}`);
  }
  return result.data;
}

export function queryString(request: SimRequest, name: string): string | undefined {
  return request.url.searchParams.get(name) ?? undefined;
}

export function queryList(request: SimRequest, name: string): string[] {
  return request.url.searchParams.getAll(name);
}

export function queryBoolean(request: SimRequest, name: string): boolean {
  return request.url.searchParams.get(name) === 'true';
}

export interface PageRequest {
  maxResults: number;
  nextToken?: string;
}

/** `maxResults` and `nextToken` from the query string; EKS list calls accept 1–100 per page. */
export function decodePage(request: SimRequest, defaultSize = 100): PageRequest {
  const rawMax = queryString(request, 'maxResults');
  let maxResults = defaultSize;
  if (rawMax !== undefined) {
    maxResults = Number(rawMax);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
      throw invalidParameter(`maxResults must be an integer between 1 and 100, got ${rawMax}`);
    }
  }
  const nextToken = queryString(request, 'nextToken');
  return nextToken === undefined ? { maxResults } : { maxResults, nextToken };
}

/**
 * Key-ordered pages whose token names the last key served, so an item added or removed between
 * two calls neither repeats nor shifts the rest of the listing.
 */
export function paginate<Item>(
  items: readonly Item[],
  keyOf: (item: Item) => string,
  page: PageRequest,
): { items: Item[]; nextToken?: string } {
  const sorted = [...items].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const after = page.nextToken === undefined ? undefined : decodeToken(page.nextToken);
  const remaining =
    after === undefined ? sorted : sorted.filter((item) => compareKeys(keyOf(item), after) > 0);
  const served = remaining.slice(0, page.maxResults);
  const last = served.at(-1);
  if (remaining.length > served.length && last !== undefined) {
    return { items: served, nextToken: encodeToken(keyOf(last)) };
  }
  return { items: served };
}

function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function encodeToken(key: string): string {
  return Buffer.from(JSON.stringify({ after: key }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'after' in parsed &&
      typeof parsed.after === 'string'
    ) {
      return parsed.after;
    }
  } catch {
    // Falls through to the same error as a well-formed token of the wrong shape.
  }
  throw invalidParameter('The nextToken provided is not valid');
}

export function requireCluster(state: SimulatorState, name: string): WorldCluster {
  const cluster = state.cluster(name);
  if (!cluster) throw notFound(`No cluster found for name: ${name}.`);
  return cluster;
}

export function eksArn(state: SimulatorState, resource: string): string {
  return `arn:${state.partition}:eks:${state.region}:${state.account}:${resource}`;
}

/** A UUID-shaped identifier derived from a seed, so ARNs survive a dump and reload unchanged. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Resources from the world file have no creation time of their own; they all date from here. */
const SEEDED_AT = new Date(Date.UTC(2024, 0, 1));

interface Timestamps {
  createdAt: Date;
  modifiedAt: Date;
}

/**
 * Creation and modification times are not part of the world file, so they live beside the
 * world-shaped objects, keyed by object identity (the services mutate those objects in place).
 */
const timestampsByResource = new WeakMap<object, Timestamps>();

export function timestampsOf(resource: object): Timestamps {
  let timestamps = timestampsByResource.get(resource);
  if (!timestamps) {
    timestamps = { createdAt: SEEDED_AT, modifiedAt: SEEDED_AT };
    timestampsByResource.set(resource, timestamps);
  }
  return timestamps;
}

export function markCreated(resource: object, state: SimulatorState): void {
  const now = state.now();
  timestampsByResource.set(resource, { createdAt: now, modifiedAt: now });
}

export function markModified(resource: object, state: SimulatorState): void {
  timestampsOf(resource).modifiedAt = state.now();
}

/** REST-JSON timestamps travel as epoch seconds. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/** `createdAt` and `modifiedAt` as a described resource carries them. */
export function renderTimestamps(resource: object): { createdAt: number; modifiedAt: number } {
  const { createdAt, modifiedAt } = timestampsOf(resource);
  return { createdAt: epochSeconds(createdAt), modifiedAt: epochSeconds(modifiedAt) };
}

/** EKS tag rules: 1–50 tags, keys up to 128 and values up to 256 characters, no `aws:` prefix. */
export function assertTags(tags: Record<string, string> | undefined): void {
  if (tags === undefined) return;
  const keys = Object.keys(tags);
  if (keys.length < 1 || keys.length > 50) {
    throw invalidParameter(`tags must hold between 1 and 50 tags, got ${keys.length}`);
  }
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128)
      throw invalidParameter(`Tag key "${key}" must be 1-128 characters long`);
    if (value.length > 256)
      throw invalidParameter(`Tag value for "${key}" must be at most 256 characters long`);
    if (key.toLowerCase().startsWith('aws:'))
      throw invalidParameter(`Tag key "${key}" uses the reserved prefix aws:`);
  }
}

// ---- the role's trust, as EKS checks it before passing the role to pods ----------------------

export const POD_IDENTITY_SERVICE = 'pods.eks.amazonaws.com';
const POD_IDENTITY_TRUST_ACTIONS = ['sts:AssumeRole', 'sts:TagSession'];
const TRUST_INVALID = 'Trust policy of the role provided is invalid';

/** Set by IAM each time a role's trust policy is written (CreateRole, UpdateAssumeRolePolicy). */
export function trustWrittenKey(roleArn: string): string {
  return `iam:trust-written:${roleArn}`;
}

function trustSightingsKey(roleArn: string, generation: number): string {
  return `eks:trust-sightings:${roleArn}#${generation}`;
}

/** The trust EKS saw before the latest write, per role ARN; undefined for a role just created. */
export const trustBeforeWrite = new WeakMap<SimulatorState, Map<string, unknown>>();

function allows(statement: Record<string, unknown>, action: string): boolean {
  const actions = ([] as unknown[]).concat(statement.Action ?? []);
  return actions.some(
    (candidate) =>
      typeof candidate === 'string' &&
      (candidate === '*' ||
        candidate.toLowerCase() === 'sts:*' ||
        candidate.toLowerCase() === action.toLowerCase()),
  );
}

function namesPodsService(statement: Record<string, unknown>): boolean {
  const principal = statement.Principal;
  if (typeof principal !== 'object' || principal === null) return false;
  const services = ([] as unknown[]).concat((principal as Record<string, unknown>).Service ?? []);
  return services.includes(POD_IDENTITY_SERVICE);
}

/** Whether Allow statements grant pods.eks.amazonaws.com both sts:AssumeRole and sts:TagSession. */
function trustsPodIdentity(document: unknown): boolean {
  if (typeof document !== 'object' || document === null) return false;
  const statements = ([] as unknown[])
    .concat((document as Record<string, unknown>).Statement ?? [])
    .filter(
      (statement): statement is Record<string, unknown> =>
        typeof statement === 'object' && statement !== null,
    )
    .filter((statement) => statement.Effect === 'Allow' && namesPodsService(statement));
  return POD_IDENTITY_TRUST_ACTIONS.every((action) =>
    statements.some((statement) => allows(statement, action)),
  );
}

/**
 * EKS refuses to pass a role to pods unless its trust policy lets pods.eks.amazonaws.com assume
 * and tag it: `InvalidParameterException: Trust policy of the role provided is invalid`, on
 * CreatePodIdentityAssociation, UpdatePodIdentityAssociation and an add-on's
 * podIdentityAssociations alike. A trust written during the run is seen only after
 * `behaviour.trustVisibleToEksAfterCalls` EKS calls named the role; until then EKS judges the
 * trust the role had before (none, for a role just created).
 */
export function assertRoleTrustsPodIdentity(
  state: SimulatorState,
  roleArn: string,
  current: unknown,
): void {
  let seen = current;
  const generation = state.peek(trustWrittenKey(roleArn));
  if (generation > 0) {
    const sightings = state.count(trustSightingsKey(roleArn, generation));
    if (sightings <= state.world.behaviour.trustVisibleToEksAfterCalls) {
      seen = trustBeforeWrite.get(state)?.get(roleArn);
    }
  }
  if (!trustsPodIdentity(seen)) throw invalidParameter(TRUST_INVALID);
}
