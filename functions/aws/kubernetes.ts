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
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AbortError,
  ApiException,
  CoreV1Api,
  createConfiguration,
  FetchError,
  KubeConfig,
  type Middleware,
  PatchStrategy,
  ServerConfiguration,
  setHeaderOptions,
  type V1Pod,
  type V1ServiceAccount,
} from '@kubernetes/client-node';
import { Sha256 } from '@smithy/core/checksum';
import { buildQueryString, HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { ClusterNotFoundError } from '../core/addon.ts';
import { NamedError } from '../core/errors.ts';
import { stsClient } from './clients.ts';
import { type ClusterDetails, describeCluster } from './eks.ts';

const TOKEN_PREFIX = 'k8s-aws-v1.';
/** aws-iam-authenticator presigns for 60 s; the server ignores it and allows 15 minutes from X-Amz-Date. */
const PRESIGN_EXPIRES_SECONDS = 60;
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;
/** Renew this long before the server would refuse the token (the margin `aws eks get-token` keeps). */
const TOKEN_RENEW_MARGIN_MS = 60 * 1000;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const DEFAULT_PAGE_SIZE = 500;
const MAX_ATTEMPTS = 4;
const RETRY_BASE_MS = 250;
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

export class KubernetesNotFoundError extends NamedError {
  override readonly name = 'KubernetesNotFoundError';
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

/** 409: the object already exists (`AlreadyExists`) or changed since it was read (`Conflict`). */
export class KubernetesConflictError extends NamedError {
  override readonly name = 'KubernetesConflictError';
  constructor(
    readonly request: RequestDescription,
    readonly reason: string,
    serverMessage: string,
    options?: ErrorOptions,
  ) {
    super(
      `cannot ${describeTarget(request)} on cluster "${request.cluster}": ${serverMessage}`,
      options,
    );
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
  /** Defaults to the credentials of the product's STS client (the default provider chain). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * STS endpoint the URL names. Defaults to the STS client's configured endpoint, then
   * `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL`, then the SDK's regional endpoint.
   */
  stsEndpoint?: string;
  /** When the token is signed (defaults to now). */
  signingDate?: Date;
}

async function defaultStsEndpoint(region: string): Promise<string> {
  const sts = stsClient();
  if (sts.config.isCustomEndpoint && sts.config.endpoint) {
    const { protocol, hostname, port, path } = await sts.config.endpoint();
    return `${protocol}//${hostname}${port ? `:${port}` : ''}${path}`;
  }
  const configured = process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL;
  if (configured && process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS !== 'true') return configured;
  return sts.config.endpointProvider({
    Region: region,
    UseFIPS: false,
    UseDualStack: false,
    UseGlobalEndpoint: false,
  }).url.href;
}

/**
 * An EKS bearer token for `clusterName`: `k8s-aws-v1.` + base64url (no padding) of a presigned
 * STS GetCallerIdentity URL that signs `host` and `x-k8s-aws-id`.
 */
export async function eksBearerToken(options: EksTokenOptions): Promise<string> {
  const endpoint = new URL(options.stsEndpoint ?? (await defaultStsEndpoint(options.region)));
  const signer = new SignatureV4({
    service: 'sts',
    region: options.region,
    sha256: Sha256,
    credentials: options.credentials ?? stsClient().config.credentials,
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

interface ClientInfo {
  cluster: string;
  endpoint: string;
}

const clients = new Map<string, { api: CoreV1Api; expiresAt: number }>();
const clientInfo = new WeakMap<CoreV1Api, ClientInfo>();
const tokens = new Map<string, string>();

function timeoutMiddleware(timeoutMs: number): Middleware {
  return {
    pre: async (context) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return context;
    },
    post: async (response) => response,
  };
}

/**
 * A CoreV1Api for `cluster` that authenticates with `token`, cached until the token expires.
 * TLS is verified against the cluster's CA; only a plain `http://` endpoint — which only the local
 * simulator serves — goes without TLS, because the Kubernetes client refuses `http` otherwise.
 */
export function kubernetesClientFor(
  cluster: ClusterEndpoint,
  token: string,
  options: KubernetesClientOptions = {},
): CoreV1Api {
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
  if (cached) return cached.api;

  const server = cluster.endpoint.replace(/\/+$/, '');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server,
        skipTLSVerify: new URL(server).protocol === 'http:',
        ...(cluster.certificateAuthorityData ? { caData: cluster.certificateAuthorityData } : {}),
      },
    ],
    users: [{ name: 'eks-pod-identity-automation', token }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: 'eks-pod-identity-automation' }],
    currentContext: cluster.name,
  });
  const api = new CoreV1Api(
    createConfiguration({
      baseServer: new ServerConfiguration(server, {}),
      authMethods: { default: kubeConfig },
      promiseMiddleware: [timeoutMiddleware(timeoutMs)],
    }),
  );
  clientInfo.set(api, { cluster: cluster.name, endpoint: server });
  clients.set(key, { api, expiresAt: eksTokenExpiresAt(token).getTime() });
  return api;
}

/**
 * A client for `cluster` with a token of the task's own credentials, reused until shortly before
 * it expires (per cluster, STS endpoint and access key, so reconfigured clients get a new one).
 */
export async function kubernetesApiFor(
  cluster: ClusterEndpoint,
  options: Omit<EksTokenOptions, 'clusterName' | 'signingDate'> & KubernetesClientOptions,
): Promise<CoreV1Api> {
  const stsEndpoint = options.stsEndpoint ?? (await defaultStsEndpoint(options.region));
  const credentials = options.credentials ?? stsClient().config.credentials;
  const { accessKeyId } = typeof credentials === 'function' ? await credentials() : credentials;
  const key = JSON.stringify([
    cluster.name,
    cluster.endpoint,
    options.region,
    stsEndpoint,
    accessKeyId,
  ]);
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

function statusOf(error: ApiException<unknown>): StatusBody {
  if (typeof error.body !== 'string') return {};
  try {
    const parsed = JSON.parse(error.body) as StatusBody;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return { message: error.body };
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
  if (attempt >= MAX_ATTEMPTS) return undefined;
  if (status !== 429 && ![500, 502, 503, 504].includes(status)) return undefined;
  const backoff = RETRY_BASE_MS * 2 ** (attempt - 1);
  const retryAfter = Number(headers?.['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter > 0)
    return Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS) + random() * backoff;
  return backoff * (0.5 + random() / 2);
}

function translate(error: unknown, request: RequestDescription): unknown {
  const cause = { cause: error };
  if (error instanceof ApiException) {
    const status = statusOf(error);
    const message = status.message ?? `HTTP ${error.code}`;
    switch (error.code) {
      case 401:
        return new KubernetesAuthError(request.cluster, cause);
      case 403:
        return new KubernetesForbiddenError(request, message, cause);
      case 404:
        return new KubernetesNotFoundError(request, message, cause);
      case 409:
        return new KubernetesConflictError(request, status.reason ?? 'Conflict', message, cause);
      default:
        return new KubernetesApiError(
          request,
          error.code,
          status.reason ?? 'Unknown',
          message,
          cause,
        );
    }
  }
  if (error instanceof AbortError || (error instanceof Error && error.name === 'AbortError')) {
    return new KubernetesUnreachableError(
      request.cluster,
      request.endpoint,
      'no answer in time',
      cause,
    );
  }
  if (error instanceof FetchError) {
    return new KubernetesUnreachableError(
      request.cluster,
      request.endpoint,
      error.code ?? error.message,
      cause,
    );
  }
  return error;
}

async function send<T>(
  api: CoreV1Api,
  request: Omit<RequestDescription, 'cluster' | 'endpoint'>,
  call: () => Promise<T>,
): Promise<T> {
  const info = clientInfo.get(api) ?? { cluster: 'unknown', endpoint: 'unknown endpoint' };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const delay =
        error instanceof ApiException
          ? retryDelayMs(error.code, error.headers as Record<string, string> | undefined, attempt)
          : undefined;
      if (delay === undefined) throw translate(error, { ...info, ...request });
      await sleep(delay);
    }
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

function toServiceAccount(sa: V1ServiceAccount): KubernetesServiceAccount {
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

function toPod(pod: V1Pod): KubernetesPod {
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    // An omitted name means the namespace's `default` service account.
    serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
    ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
  };
}

/** Every service account (in `namespace`, or in all namespaces), following `continue` through all pages. */
export async function listServiceAccounts(
  api: CoreV1Api,
  options: { namespace?: string; pageSize?: number; labelSelector?: string } = {},
): Promise<KubernetesServiceAccount[]> {
  const { namespace, labelSelector } = options;
  const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const items: KubernetesServiceAccount[] = [];
  let next: string | undefined;
  do {
    const query = { limit, _continue: next, labelSelector };
    const page = await send(api, { verb: 'list', resource: 'serviceaccounts', namespace }, () =>
      namespace
        ? api.listNamespacedServiceAccount({ namespace, ...query })
        : api.listServiceAccountForAllNamespaces(query),
    );
    items.push(...page.items.map(toServiceAccount));
    next = page.metadata?._continue || undefined;
  } while (next);
  return items;
}

/** Every pod (in `namespace`, or in all namespaces) with the service account it runs as. */
export async function listPods(
  api: CoreV1Api,
  options: { namespace?: string; pageSize?: number } = {},
): Promise<KubernetesPod[]> {
  const { namespace } = options;
  const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const items: KubernetesPod[] = [];
  let next: string | undefined;
  do {
    const query = { limit, _continue: next };
    const page = await send(api, { verb: 'list', resource: 'pods', namespace }, () =>
      namespace
        ? api.listNamespacedPod({ namespace, ...query })
        : api.listPodForAllNamespaces(query),
    );
    items.push(...page.items.map(toPod));
    next = page.metadata?._continue || undefined;
  } while (next);
  return items;
}

/** The service account, or undefined when it does not exist. */
export async function getServiceAccount(
  api: CoreV1Api,
  namespace: string,
  name: string,
): Promise<KubernetesServiceAccount | undefined> {
  try {
    const sa = await send(api, { verb: 'get', resource: 'serviceaccounts', namespace, name }, () =>
      api.readNamespacedServiceAccount({ namespace, name }),
    );
    return toServiceAccount(sa);
  } catch (error) {
    if (error instanceof KubernetesNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Creates the namespace unless it exists (as eksctl does before creating a service account).
 * Reading first keeps this working for roles that may read but not create namespaces.
 */
export async function ensureNamespace(
  api: CoreV1Api,
  namespace: string,
): Promise<'created' | 'existing'> {
  try {
    await send(api, { verb: 'get', resource: 'namespaces', name: namespace }, () =>
      api.readNamespace({ name: namespace }),
    );
    return 'existing';
  } catch (error) {
    if (!(error instanceof KubernetesNotFoundError)) throw error;
  }
  try {
    await send(api, { verb: 'create', resource: 'namespaces', name: namespace }, () =>
      api.createNamespace({ body: { metadata: { name: namespace } } }),
    );
    return 'created';
  } catch (error) {
    // Someone else created it in between.
    if (error instanceof KubernetesConflictError) return 'existing';
    throw error;
  }
}

/** Creates a service account; KubernetesConflictError when it already exists. */
export async function createServiceAccount(
  api: CoreV1Api,
  serviceAccount: {
    namespace: string;
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  },
): Promise<KubernetesServiceAccount> {
  const { namespace, name, labels, annotations } = serviceAccount;
  const created = await send(
    api,
    { verb: 'create', resource: 'serviceaccounts', namespace, name },
    () =>
      api.createNamespacedServiceAccount({
        namespace,
        body: {
          metadata: {
            name,
            namespace,
            ...(labels ? { labels } : {}),
            ...(annotations ? { annotations } : {}),
          },
        },
      }),
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
  api: CoreV1Api,
  namespace: string,
  name: string,
  patch: ServiceAccountMergePatch,
): Promise<KubernetesServiceAccount> {
  const patched = await send(
    api,
    { verb: 'patch', resource: 'serviceaccounts', namespace, name },
    () =>
      api.patchNamespacedServiceAccount(
        { namespace, name, body: patch },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
  );
  return toServiceAccount(patched);
}

/** Deletes a service account; 'absent' when it was already gone, so a retried delete converges. */
export async function deleteServiceAccount(
  api: CoreV1Api,
  namespace: string,
  name: string,
): Promise<'deleted' | 'absent'> {
  try {
    await send(api, { verb: 'delete', resource: 'serviceaccounts', namespace, name }, () =>
      api.deleteNamespacedServiceAccount({ namespace, name }),
    );
    return 'deleted';
  } catch (error) {
    if (error instanceof KubernetesNotFoundError) return 'absent';
    throw error;
  }
}

/**
 * The Kubernetes API of an EKS cluster named by the workflow: its endpoint and CA from
 * DescribeCluster, a token for this process's credentials.
 */
export async function kubernetesApiForCluster(
  clusterName: string,
): Promise<{ api: CoreV1Api; cluster: ClusterDetails }> {
  const cluster = await describeCluster(clusterName);
  if (!cluster) throw new ClusterNotFoundError(`cluster "${clusterName}" no longer exists`);
  const api = await kubernetesApiFor(
    {
      name: cluster.name,
      endpoint: cluster.endpoint,
      certificateAuthorityData: cluster.certificateAuthorityData,
    },
    { region: process.env.AWS_REGION ?? '' },
  );
  return { api, cluster };
}
