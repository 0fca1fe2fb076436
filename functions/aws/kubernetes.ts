/**
 * How Lambda tasks reach an EKS cluster's Kubernetes API.
 *
 * Authentication is the EKS bearer token (what `aws eks get-token` prints): a presigned STS
 * GetCallerIdentity URL whose signature covers `x-k8s-aws-id: <cluster>`, signed locally with the
 * SDK's own SigV4 signer and the task's credentials — no call to STS is made. EKS accepts such a
 * token for 15 minutes after its `X-Amz-Date` (`X-Amz-Expires` is a legacy field STS ignores),
 * so tokens and clients are reused per cluster and renewed a minute before that.
 *
 * Failures come back as named errors the workflows route on: 401 → KubernetesAuthError,
 * 403 → KubernetesForbiddenError (naming the missing permission), 404 → KubernetesNotFoundError,
 * 409 → KubernetesConflictError, no connection or no answer in time → KubernetesUnreachableError,
 * anything else → KubernetesApiError. 429 and 5xx answers are retried a few times first.
 */

import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { Sha256 } from '@smithy/core/checksum';
import { buildQueryString, HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { existingCluster } from '../core/addon.ts';
import { equalJitterDelayMs, fullJitterDelayMs } from '../core/backoff.ts';
import { NamedError, orIfThrown } from '../core/errors.ts';
import { SDK_MAX_ATTEMPTS } from '../core/timeout-budget.ts';
import { eksClient, instanceCache, stsEndpointUrl } from './clients.ts';
import { type ClusterDetails, describeCluster } from './eks.ts';

const TOKEN_PREFIX = 'k8s-aws-v1.';
/** aws-iam-authenticator presigns for 60 s; the server ignores it and allows 15 minutes from X-Amz-Date. */
const PRESIGN_EXPIRES_SECONDS = 60;
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;
/** Renew this long before the server would refuse the token (the margin `aws eks get-token` keeps). */
const TOKEN_RENEW_MARGIN_MS = 60 * 1000;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const DEFAULT_PAGE_SIZE = 500;
/**
 * Throttling (429) clears by design, and many tasks share one cluster's API server, so it is
 * retried as often as AWS calls are (and budgeted alike in the tasks' timeout descriptors); a server error that
 * persists is not waited out as long.
 */
const THROTTLED_MAX_ATTEMPTS = SDK_MAX_ATTEMPTS;
const FAILED_MAX_ATTEMPTS = 4;
const RETRY_BASE_MS = 250;
const MAX_BACKOFF_MS = 5_000;
const MAX_RETRY_AFTER_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Errors

/** Where a request was going, for error messages that say what to fix. */
interface RequestDescription {
  cluster: string;
  endpoint: string;
  verb: 'get' | 'list' | 'create' | 'patch' | 'delete';
  resource: 'serviceaccounts' | 'namespaces' | 'pods';
  namespace?: string;
  name?: string;
}

function describeTarget(request: RequestDescription): string {
  const object = request.name ? `${request.resource} "${request.name}"` : request.resource;
  const scope = request.namespace ? ` in namespace "${request.namespace}"` : ' across the cluster';
  return `${request.verb} ${object}${request.resource === 'namespaces' ? '' : scope}`;
}

/** 401: the cluster does not accept the token or does not know the caller. */
export class KubernetesAuthError extends NamedError {
  override readonly name = 'KubernetesAuthError';
  constructor(
    readonly cluster: string,
    options?: ErrorOptions,
  ) {
    super(
      `the Kubernetes API of cluster "${cluster}" answered 401 Unauthorized: it did not accept this role's token. ` +
        "Check that the cluster's authentication mode is API or API_AND_CONFIG_MAP and that this role has an " +
        'access entry on the cluster (CreateAccessEntry, then AssociateAccessPolicy)',
      options,
    );
  }
}

/** 403: authenticated, but no access policy of the caller's access entry allows the request. */
export class KubernetesForbiddenError extends NamedError {
  override readonly name = 'KubernetesForbiddenError';
  /** The permission that is missing, e.g. `patch serviceaccounts in namespace "default"`. */
  readonly permission: string;
  /** An EKS access policy that would grant it. */
  readonly suggestedPolicy: string;
  constructor(
    readonly request: RequestDescription,
    serverMessage: string,
    options?: ErrorOptions,
  ) {
    const permission = describeTarget({ ...request, name: undefined });
    const suggestedPolicy = suggestPolicy(request);
    super(
      `the Kubernetes API of cluster "${request.cluster}" refused to ${describeTarget(request)}: ${serverMessage}. ` +
        `This role needs ${permission}: associate ${suggestedPolicy} with its access entry ` +
        `(${request.namespace ? `scope: namespace ${request.namespace} or cluster` : 'scope: cluster'})`,
      options,
    );
    this.permission = permission;
    this.suggestedPolicy = suggestedPolicy;
  }
}

function suggestPolicy(request: RequestDescription): string {
  if (request.verb === 'get' || request.verb === 'list') return 'AmazonEKSViewPolicy';
  if (request.resource === 'namespaces') return 'AmazonEKSClusterAdminPolicy';
  return 'AmazonEKSEditPolicy';
}

/** An error the API server answered a request with, said with the request and its cluster. */
abstract class KubernetesRequestError extends NamedError {
  constructor(
    readonly request: RequestDescription,
    serverMessage: string,
    options?: ErrorOptions,
  ) {
    super(
      `cannot ${describeTarget(request)} on cluster "${request.cluster}": ${serverMessage}`,
      options,
    );
  }
}

export class KubernetesNotFoundError extends KubernetesRequestError {
  override readonly name = 'KubernetesNotFoundError';
}

/** 409: the object already exists (`AlreadyExists`) or changed since it was read (`Conflict`). */
export class KubernetesConflictError extends KubernetesRequestError {
  override readonly name = 'KubernetesConflictError';
  constructor(
    request: RequestDescription,
    readonly reason: string,
    serverMessage: string,
    options?: ErrorOptions,
  ) {
    super(request, serverMessage, options);
  }
}

/** No connection, a reset connection, or no answer in time: typically a private-only endpoint. */
export class KubernetesUnreachableError extends NamedError {
  override readonly name = 'KubernetesUnreachableError';
  constructor(
    readonly cluster: string,
    readonly endpoint: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `cannot reach the Kubernetes API of cluster "${cluster}" at ${endpoint} (${reason}). A cluster whose ` +
        'endpoint is private only answers from inside its VPC: run this task in that VPC or enable the public endpoint',
      options,
    );
  }
}

/** Any other failure status (400, 422, 429 or 5xx after retries...). */
export class KubernetesApiError extends NamedError {
  override readonly name = 'KubernetesApiError';
  constructor(
    readonly request: RequestDescription,
    readonly status: number,
    readonly reason: string,
    serverMessage: string,
    options?: ErrorOptions,
  ) {
    super(
      `cannot ${describeTarget(request)} on cluster "${request.cluster}": ${status} ${reason}: ${serverMessage}`,
      options,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

export interface EksTokenOptions {
  clusterName: string;
  region: string;
  /** Defaults to the credentials of the product's EKS client (the default provider chain). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** STS endpoint the URL names; defaults to {@link stsEndpointUrl}. */
  stsEndpoint?: string;
  /** When the token is signed (defaults to now). */
  signingDate?: Date;
}

/**
 * An EKS bearer token for `clusterName`: `k8s-aws-v1.` + base64url (no padding) of a presigned
 * STS GetCallerIdentity URL that signs `host` and `x-k8s-aws-id`.
 */
export async function eksBearerToken(options: EksTokenOptions): Promise<string> {
  const endpoint = new URL(options.stsEndpoint ?? stsEndpointUrl(options.region));
  const signer = new SignatureV4({
    service: 'sts',
    region: options.region,
    sha256: Sha256,
    credentials: options.credentials ?? eksClient().config.credentials,
  });
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: endpoint.host, 'x-k8s-aws-id': options.clusterName },
    }),
    {
      expiresIn: PRESIGN_EXPIRES_SECONDS,
      ...(options.signingDate ? { signingDate: options.signingDate } : {}),
    },
  );
  const url = `${endpoint.protocol}//${endpoint.host}/?${buildQueryString(presigned.query ?? {})}`;
  return TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

/** When EKS stops accepting `token` (15 minutes after its X-Amz-Date); the epoch if it is not an EKS token. */
export function eksTokenExpiresAt(token: string): Date {
  if (!token.startsWith(TOKEN_PREFIX)) return new Date(0);
  try {
    const url = new URL(
      Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'),
    );
    const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(
      url.searchParams.get('X-Amz-Date') ?? '',
    );
    if (!date) return new Date(0);
    const [, year, month, day, hour, minute, second] = date.map(Number);
    return new Date(
      Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second) + TOKEN_LIFETIME_MS,
    );
  } catch {
    return new Date(0);
  }
}

// ---------------------------------------------------------------------------------------------
// Clients

/** What DescribeCluster tells about a cluster's API endpoint. */
export interface ClusterEndpoint {
  name: string;
  /** `cluster.endpoint`. */
  endpoint: string;
  /** `cluster.certificateAuthority.data`: base64 PEM, as in a kubeconfig. */
  certificateAuthorityData?: string;
}

export interface KubernetesClientOptions {
  /** Abort a request that has not been answered by then (a private endpoint never answers). */
  requestTimeoutMs?: number;
}

/** An answer of the API server, whatever its status. */
interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request that got no answer: the connection failed or the timeout passed. */
class NoAnswer extends Error {
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
  }
}

/** A failure status that was not retried (or no longer), with what the server said. */
class FailedAnswer extends Error {
  constructor(readonly answer: HttpAnswer) {
    super(`HTTP ${answer.status}`);
  }
}

/**
 * The few core/v1 calls the tasks make, over node's own HTTP(S) with a bearer token. The general
 * Kubernetes client adds about 1.2 MiB to each Lambda bundle for these six requests, and its
 * `fetch` polyfill is what times requests out; here TLS, timeouts and retries are ours to see.
 */
export class KubernetesClient {
  readonly cluster: string;
  readonly endpoint: string;
  readonly #server: URL;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #agent: http.Agent;

  constructor(cluster: ClusterEndpoint, token: string, timeoutMs: number) {
    this.cluster = cluster.name;
    this.endpoint = cluster.endpoint.replace(/\/+$/, '');
    this.#server = new URL(this.endpoint);
    this.#token = token;
    this.#timeoutMs = timeoutMs;
    // Only the local simulator serves plain http; a cluster's https is checked against its own CA.
    this.#agent =
      this.#server.protocol === 'http:'
        ? new http.Agent({ keepAlive: true })
        : new https.Agent({
            keepAlive: true,
            ...(cluster.certificateAuthorityData
              ? { ca: Buffer.from(cluster.certificateAuthorityData, 'base64').toString('utf8') }
              : {}),
          });
  }

  /** One HTTP exchange; a failure status is an answer too, only a missing answer throws. */
  exchange(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: { contentType: string; json: unknown },
  ): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body.json);
    const transport = this.#server.protocol === 'http:' ? http : https;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    return new Promise((resolve, reject) => {
      const noAnswer = (error: Error & { code?: string }) =>
        reject(
          new NoAnswer(signal.aborted ? 'no answer in time' : (error.code ?? error.message), {
            cause: error,
          }),
        );
      const request = transport.request(
        new URL(this.#server.pathname.replace(/\/$/, '') + path, this.#server),
        {
          method,
          agent: this.#agent,
          signal,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${this.#token}`,
            ...(payload === undefined
              ? {}
              : {
                  'content-type': body?.contentType,
                  'content-length': Buffer.byteLength(payload),
                }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', noAnswer);
          response.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers))
              if (value !== undefined)
                headers[name] = Array.isArray(value) ? value.join(', ') : value;
            resolve({
              status: response.statusCode ?? 0,
              headers,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      request.on('error', noAnswer);
      request.end(payload);
    });
  }
}

// Per Lambda instance, as its SDK clients are: simulated instances share one process, and a
// client shared between them would share its connections too.
const kubernetesClients = () =>
  instanceCache(
    'kubernetes-clients',
    () => new Map<string, { client: KubernetesClient; expiresAt: number }>(),
  );
const eksTokens = () => instanceCache('eks-tokens', () => new Map<string, string>());

/** A client for `cluster` that authenticates with `token`, cached until the token expires. */
export function kubernetesClientFor(
  cluster: ClusterEndpoint,
  token: string,
  options: KubernetesClientOptions = {},
): KubernetesClient {
  const clients = kubernetesClients();
  const now = Date.now();
  for (const [key, cached] of clients) if (cached.expiresAt <= now) clients.delete(key);
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const key = JSON.stringify([
    cluster.name,
    cluster.endpoint,
    cluster.certificateAuthorityData ?? '',
    token,
    timeoutMs,
  ]);
  const cached = clients.get(key);
  if (cached) return cached.client;
  const client = new KubernetesClient(cluster, token, timeoutMs);
  clients.set(key, { client, expiresAt: eksTokenExpiresAt(token).getTime() });
  return client;
}

/**
 * A client for `cluster` with a token of the task's own credentials, reused until shortly before
 * it expires (per cluster, STS endpoint and access key, so reconfigured clients get a new one).
 */
export async function kubernetesApiFor(
  cluster: ClusterEndpoint,
  options: Omit<EksTokenOptions, 'clusterName' | 'signingDate'> & KubernetesClientOptions,
): Promise<KubernetesClient> {
  const stsEndpoint = options.stsEndpoint ?? stsEndpointUrl(options.region);
  const credentials = options.credentials ?? eksClient().config.credentials;
  const { accessKeyId } = typeof credentials === 'function' ? await credentials() : credentials;
  const key = JSON.stringify([
    cluster.name,
    cluster.endpoint,
    options.region,
    stsEndpoint,
    accessKeyId,
  ]);
  const tokens = eksTokens();
  const now = Date.now();
  for (const [cachedKey, cached] of tokens)
    if (eksTokenExpiresAt(cached).getTime() <= now) tokens.delete(cachedKey);
  let token = tokens.get(key);
  if (!token || eksTokenExpiresAt(token).getTime() - TOKEN_RENEW_MARGIN_MS <= now) {
    token = await eksBearerToken({
      clusterName: cluster.name,
      region: options.region,
      credentials,
      stsEndpoint,
    });
    tokens.set(key, token);
  }
  return kubernetesClientFor(cluster, token, options);
}

// ---------------------------------------------------------------------------------------------
// Requests

interface StatusBody {
  message?: string;
  reason?: string;
}

function statusOf(answer: HttpAnswer): StatusBody {
  try {
    const parsed = JSON.parse(answer.body) as StatusBody;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return answer.body ? { message: answer.body } : {};
  }
}

/**
 * How long to wait before another try of a throttled (429) or failed (5xx) request, or undefined
 * when it is not to be retried. The API server's `Retry-After` (seconds) is honoured as a
 * minimum; a random share of the exponential backoff is added to it, or makes up the whole wait
 * without one, so clients throttled together do not all come back at the same moment.
 */
export function retryDelayMs(
  status: number,
  headers: Record<string, string> | undefined,
  attempt: number,
  random: () => number = Math.random,
): number | undefined {
  const maxAttempts =
    status === 429
      ? THROTTLED_MAX_ATTEMPTS
      : [500, 502, 503, 504].includes(status)
        ? FAILED_MAX_ATTEMPTS
        : 0;
  if (attempt >= maxAttempts) return undefined;
  const retryAfter = Number(headers?.['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter > 0) {
    return (
      Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS) +
      fullJitterDelayMs(attempt, RETRY_BASE_MS, MAX_BACKOFF_MS, random)
    );
  }
  return equalJitterDelayMs(attempt, RETRY_BASE_MS, MAX_BACKOFF_MS, random);
}

function translate(error: unknown, request: RequestDescription): unknown {
  const cause = { cause: error };
  if (error instanceof NoAnswer)
    return new KubernetesUnreachableError(request.cluster, request.endpoint, error.reason, cause);
  if (!(error instanceof FailedAnswer)) return error;
  const { status } = error.answer;
  const body = statusOf(error.answer);
  const message = body.message ?? `HTTP ${status}`;
  switch (status) {
    case 401:
      return new KubernetesAuthError(request.cluster, cause);
    case 403:
      return new KubernetesForbiddenError(request, message, cause);
    case 404:
      return new KubernetesNotFoundError(request, message, cause);
    case 409:
      return new KubernetesConflictError(request, body.reason ?? 'Conflict', message, cause);
    default:
      return new KubernetesApiError(request, status, body.reason ?? 'Unknown', message, cause);
  }
}

type RequestTarget = Omit<RequestDescription, 'cluster' | 'endpoint'>;

/** The path of a core/v1 resource (a collection when the target names no object). */
function resourcePath(target: RequestTarget): string {
  const segments = ['/api/v1'];
  if (target.namespace !== undefined && target.resource !== 'namespaces')
    segments.push('namespaces', encodeURIComponent(target.namespace));
  segments.push(target.resource);
  if (target.name !== undefined && target.verb !== 'create')
    segments.push(encodeURIComponent(target.name));
  return segments.join('/');
}

const HTTP_METHOD = {
  get: 'GET',
  list: 'GET',
  create: 'POST',
  patch: 'PATCH',
  delete: 'DELETE',
} as const;

/** Sends `target`'s request, retrying throttling and server errors, and parses the JSON answer. */
async function send<T>(
  client: KubernetesClient,
  target: RequestTarget,
  options: {
    query?: Record<string, string | number | undefined>;
    body?: { contentType: string; json: unknown };
  } = {},
): Promise<T> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(options.query ?? {}))
    if (value !== undefined) query.set(name, String(value));
  const path = resourcePath(target) + (query.size > 0 ? `?${query}` : '');
  const request = { ...target, cluster: client.cluster, endpoint: client.endpoint };
  for (let attempt = 1; ; attempt += 1) {
    let answer: HttpAnswer;
    try {
      answer = await client.exchange(HTTP_METHOD[target.verb], path, options.body);
    } catch (error) {
      throw translate(error, request);
    }
    if (answer.status >= 200 && answer.status < 300) return JSON.parse(answer.body) as T;
    const delay = retryDelayMs(answer.status, answer.headers, attempt);
    if (delay === undefined) throw translate(new FailedAnswer(answer), request);
    await sleep(delay);
  }
}

// ---------------------------------------------------------------------------------------------
// Operations

export interface KubernetesServiceAccount {
  namespace: string;
  name: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
}

export interface KubernetesPod {
  namespace: string;
  name: string;
  serviceAccountName: string;
  phase?: string;
}

/** A JSON merge patch (RFC 7386) of a ServiceAccount's metadata: `null` removes a key, other keys stay. */
export interface ServiceAccountMergePatch {
  metadata: {
    annotations?: Record<string, string | null>;
    labels?: Record<string, string | null>;
    /** Makes the patch conditional: 409 KubernetesConflictError if the object changed since. */
    resourceVersion?: string;
  };
}

/** The parts of core/v1 objects the tasks read. */
interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

interface ServiceAccountObject {
  metadata?: ObjectMeta;
}

interface PodObject {
  metadata?: ObjectMeta;
  spec?: { serviceAccountName?: string };
  status?: { phase?: string };
}

interface ListObject<T> {
  items: T[];
  metadata?: { continue?: string };
}

function toServiceAccount(sa: ServiceAccountObject): KubernetesServiceAccount {
  const metadata = sa.metadata ?? {};
  return {
    namespace: metadata.namespace ?? '',
    name: metadata.name ?? '',
    annotations: { ...metadata.annotations },
    labels: { ...metadata.labels },
    ...(metadata.uid ? { uid: metadata.uid } : {}),
    ...(metadata.resourceVersion ? { resourceVersion: metadata.resourceVersion } : {}),
  };
}

function toPod(pod: PodObject): KubernetesPod {
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    // An omitted name means the namespace's `default` service account.
    serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
    ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
  };
}

/** Every object of a list request, following `continue` through all pages. */
async function listAll<T>(
  client: KubernetesClient,
  target: RequestTarget,
  query: { limit: number; labelSelector?: string },
): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  do {
    const page = await send<ListObject<T>>(client, target, { query: { ...query, continue: next } });
    items.push(...page.items);
    next = page.metadata?.continue || undefined;
  } while (next);
  return items;
}

/** Every service account (in `namespace`, or in all namespaces), following `continue` through all pages. */
export async function listServiceAccounts(
  client: KubernetesClient,
  options: { namespace?: string; pageSize?: number; labelSelector?: string } = {},
): Promise<KubernetesServiceAccount[]> {
  const { namespace, labelSelector } = options;
  const items = await listAll<ServiceAccountObject>(
    client,
    { verb: 'list', resource: 'serviceaccounts', namespace },
    { limit: options.pageSize ?? DEFAULT_PAGE_SIZE, labelSelector },
  );
  return items.map(toServiceAccount);
}

/** Every pod (in `namespace`, or in all namespaces) with the service account it runs as. */
export async function listPods(
  client: KubernetesClient,
  options: { namespace?: string; pageSize?: number } = {},
): Promise<KubernetesPod[]> {
  const items = await listAll<PodObject>(
    client,
    { verb: 'list', resource: 'pods', namespace: options.namespace },
    { limit: options.pageSize ?? DEFAULT_PAGE_SIZE },
  );
  return items.map(toPod);
}

/** The service account, or undefined when it does not exist. */
export async function getServiceAccount(
  client: KubernetesClient,
  namespace: string,
  name: string,
): Promise<KubernetesServiceAccount | undefined> {
  const found = await orIfThrown(
    send<ServiceAccountObject>(client, {
      verb: 'get',
      resource: 'serviceaccounts',
      namespace,
      name,
    }),
    KubernetesNotFoundError,
    undefined,
  );
  return found && toServiceAccount(found);
}

/**
 * Creates the namespace unless it exists (as eksctl does before creating a service account).
 * Reading first keeps this working for roles that may read but not create namespaces.
 */
export async function ensureNamespace(
  client: KubernetesClient,
  namespace: string,
): Promise<'created' | 'existing'> {
  const exists = await orIfThrown(
    send(client, { verb: 'get', resource: 'namespaces', name: namespace }).then(() => true),
    KubernetesNotFoundError,
    false,
  );
  if (exists) return 'existing';
  const created = send(
    client,
    { verb: 'create', resource: 'namespaces', name: namespace },
    {
      body: {
        contentType: 'application/json',
        json: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      },
    },
  ).then(() => 'created' as const);
  // A conflict: someone else created it in between.
  return orIfThrown(created, KubernetesConflictError, 'existing' as const);
}

/** Creates a service account; KubernetesConflictError when it already exists. */
export async function createServiceAccount(
  client: KubernetesClient,
  serviceAccount: {
    namespace: string;
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  },
): Promise<KubernetesServiceAccount> {
  const { namespace, name, labels, annotations } = serviceAccount;
  const created = await send<ServiceAccountObject>(
    client,
    { verb: 'create', resource: 'serviceaccounts', namespace, name },
    {
      body: {
        contentType: 'application/json',
        json: {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: {
            name,
            namespace,
            ...(labels ? { labels } : {}),
            ...(annotations ? { annotations } : {}),
          },
        },
      },
    },
  );
  return toServiceAccount(created);
}

/**
 * Applies a JSON merge patch to a service account. Only the keys named in the patch change: removing
 * the IRSA annotation (`{ metadata: { annotations: { 'eks.amazonaws.com/role-arn': null } } }`)
 * leaves other annotations, labels, secrets, imagePullSecrets and automountServiceAccountToken as
 * they are — unlike eksctl's full Update of a metadata-only copy.
 */
export async function mergePatchServiceAccount(
  client: KubernetesClient,
  namespace: string,
  name: string,
  patch: ServiceAccountMergePatch,
): Promise<KubernetesServiceAccount> {
  const patched = await send<ServiceAccountObject>(
    client,
    { verb: 'patch', resource: 'serviceaccounts', namespace, name },
    { body: { contentType: 'application/merge-patch+json', json: patch } },
  );
  return toServiceAccount(patched);
}

/** Deletes a service account; 'absent' when it was already gone, so a retried delete converges. */
export async function deleteServiceAccount(
  client: KubernetesClient,
  namespace: string,
  name: string,
): Promise<'deleted' | 'absent'> {
  return orIfThrown(
    send(client, { verb: 'delete', resource: 'serviceaccounts', namespace, name }).then(
      () => 'deleted' as const,
    ),
    KubernetesNotFoundError,
    'absent' as const,
  );
}

/**
 * The Kubernetes API of an EKS cluster named by the workflow: its endpoint and CA from
 * DescribeCluster, a token for this process's credentials.
 */
export async function kubernetesApiForCluster(
  clusterName: string,
): Promise<{ api: KubernetesClient; cluster: ClusterDetails }> {
  const region = process.env.AWS_REGION ?? '';
  const cluster = await existingCluster(
    describeCluster,
    { clusterName, region },
    'it was deleted since the run checked it',
  );
  const api = await kubernetesApiFor(
    {
      name: cluster.name,
      endpoint: cluster.endpoint,
      certificateAuthorityData: cluster.certificateAuthorityData,
    },
    { region },
  );
  return { api, cluster };
}
