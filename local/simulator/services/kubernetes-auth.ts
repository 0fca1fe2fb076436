/**
 * How a simulated EKS cluster's API server decides who is calling and what they may do.
 *
 * Authentication follows aws-iam-authenticator, which EKS runs: the bearer token is
 * `k8s-aws-v1.` + base64url (no padding) of a presigned STS GetCallerIdentity URL whose signature
 * covers the `x-k8s-aws-id: <cluster>` header. Real EKS checks the URL's shape, then lets STS
 * check the signature; the simulator recomputes that signature itself with the one secret it
 * hands out (`Simulator.env()`), so a token minted for another cluster, altered, or signed with
 * other credentials is refused. Tokens live 15 minutes from `X-Amz-Date` on the real clock
 * (STS ignores `X-Amz-Expires`; the authenticator only bounds it to 0..900).
 *
 * Authorization follows EKS access entries: an IAM principal without an access entry (or a
 * cluster in CONFIG_MAP mode, whose aws-auth ConfigMap is not simulated) is not authenticated at
 * all — 401, as kubectl's "You must be logged in to the server (Unauthorized)" shows; one with an
 * entry is allowed what its associated access policies grant, in their scope — otherwise 403.
 * Kubernetes groups on an access entry grant nothing, because RBAC objects are not simulated.
 */

import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SimRequest } from '../protocol.ts';
import { SimError } from '../protocol.ts';
import { SIMULATED_CREDENTIALS } from '../server.ts';
import type { WorldAccessEntry, WorldCluster } from '../world.ts';

const TOKEN_PREFIX = 'k8s-aws-v1.';
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;
/** SigV4 refuses signatures dated further ahead than this (clock skew). */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
const MAX_TOKEN_LENGTH = 4096;
const ALLOWED_QUERY_PARAMETERS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);
const STS_HOST = /^sts(\.[a-z]{2}(-gov)?-[a-z]+-\d)?\.amazonaws\.com(\.cn)?$/;

function unauthorized(): SimError {
  // The API server never says why; the reason stays in the simulator.
  return new SimError('Unauthorized', 'Unauthorized', 401);
}

/**
 * Checks the request's bearer token for `cluster`. `simulatorOrigin` is the simulator's own URL,
 * accepted as an STS endpoint beside the real `https://sts.<region>.amazonaws.com`.
 */
export async function authenticate(
  request: SimRequest,
  cluster: WorldCluster,
  simulatorOrigin: string,
): Promise<void> {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer (\S+)$/.exec(header);
  const token = match?.[1];
  if (!token || token.length > MAX_TOKEN_LENGTH || !token.startsWith(TOKEN_PREFIX))
    throw unauthorized();
  const encoded = token.slice(TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw unauthorized();
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw unauthorized();
  }
  const fromSimulator = simulatorOrigin !== '' && url.origin === new URL(simulatorOrigin).origin;
  if (!fromSimulator && !(url.protocol === 'https:' && STS_HOST.test(url.host)))
    throw unauthorized();
  if (url.pathname !== '/') throw unauthorized();

  const query = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    const lower = key.toLowerCase();
    if (!ALLOWED_QUERY_PARAMETERS.has(lower) || query.has(lower)) throw unauthorized();
    query.set(lower, value);
  }
  const signedHeaders = (query.get('x-amz-signedheaders') ?? '').toLowerCase().split(';');
  const expires = Number(query.get('x-amz-expires'));
  const credential = /^([^/]+)\/(\d{8})\/([^/]+)\/sts\/aws4_request$/.exec(
    query.get('x-amz-credential') ?? '',
  );
  const signedAt = parseAmzDate(query.get('x-amz-date') ?? '');
  const signature = query.get('x-amz-signature');
  if (
    query.get('action') !== 'GetCallerIdentity' ||
    query.get('version') !== '2011-06-15' ||
    query.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256' ||
    !signedHeaders.includes('x-k8s-aws-id') ||
    !Number.isInteger(expires) ||
    expires < 0 ||
    expires > 900 ||
    !credential ||
    !signedAt ||
    !signature
  ) {
    throw unauthorized();
  }
  const now = Date.now();
  if (now > signedAt.getTime() + TOKEN_LIFETIME_MS || signedAt.getTime() > now + MAX_CLOCK_SKEW_MS)
    throw unauthorized();

  const [, accessKeyId = '', , region = ''] = credential;
  const sessionToken = query.get('x-amz-security-token');
  const signer = new SignatureV4({
    service: 'sts',
    region,
    sha256: Sha256,
    credentials: {
      accessKeyId,
      secretAccessKey: SIMULATED_CREDENTIALS.secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
    },
  });
  const expected = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: url.host, 'x-k8s-aws-id': cluster.name },
    }),
    { signingDate: signedAt, expiresIn: expires },
  );
  if (expected.query?.['X-Amz-Signature'] !== signature) throw unauthorized();
}

/** `20260101T120000Z` → Date, or undefined when malformed. */
function parseAmzDate(text: string): Date | undefined {
  const parts = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!parts) return undefined;
  const [, year, month, day, hour, minute, second] = parts.map(Number);
  const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** What one request asks to do, in RBAC terms. */
export interface RequestAttributes {
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';
  resource: 'serviceaccounts' | 'namespaces' | 'pods';
  /** Empty for cluster-scoped requests (list across namespaces, namespace create/list). */
  namespace: string;
  /** The object's name, when the request names one. */
  name?: string;
}

const READ_VERBS = new Set(['get', 'list', 'watch']);

/**
 * What each EKS access policy allows on the resources the simulator serves. AdminPolicy and
 * EditPolicy are Kubernetes' `admin` and `edit` roles: full rights on namespaced objects but only
 * read on Namespace objects themselves; only ClusterAdminPolicy may create namespaces.
 */
const ACCESS_POLICIES: Record<string, (attributes: RequestAttributes) => boolean> = {
  AmazonEKSClusterAdminPolicy: () => true,
  AmazonEKSAdminPolicy: (a) => a.resource !== 'namespaces' || READ_VERBS.has(a.verb),
  AmazonEKSEditPolicy: (a) => a.resource !== 'namespaces' || READ_VERBS.has(a.verb),
  AmazonEKSAdminViewPolicy: (a) => READ_VERBS.has(a.verb),
  AmazonEKSViewPolicy: (a) => READ_VERBS.has(a.verb),
};

/** Accepts both `arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy` and `AmazonEKSViewPolicy`. */
function policyName(policyArn: string): string {
  return policyArn.slice(policyArn.lastIndexOf('/') + 1);
}

function namespaceInScope(namespace: string, patterns: string[]): boolean {
  // Access policy scopes accept a trailing `*` wildcard (for example `dev-*`).
  return patterns.some((pattern) =>
    pattern.endsWith('*') ? namespace.startsWith(pattern.slice(0, -1)) : namespace === pattern,
  );
}

function grants(entry: WorldAccessEntry, attributes: RequestAttributes): boolean {
  return entry.policies.some((policy) => {
    const allows = ACCESS_POLICIES[policyName(policy.policyArn)];
    if (!allows?.(attributes)) return false;
    if (policy.scope === 'cluster') return true;
    return (
      attributes.namespace !== '' && namespaceInScope(attributes.namespace, policy.scope.namespaces)
    );
  });
}

/** The caller's access entry, or 401 when the cluster would not map the principal to any user. */
export function accessEntryOf(cluster: WorldCluster, caller: string): WorldAccessEntry {
  const entry =
    cluster.authenticationMode === 'CONFIG_MAP'
      ? undefined
      : cluster.accessEntries.find((candidate) => candidate.principalArn === caller);
  if (!entry) throw unauthorized();
  return entry;
}

/** Throws 403 Forbidden, worded as the API server words it, unless the entry's policies allow the request. */
export function authorize(entry: WorldAccessEntry, attributes: RequestAttributes): void {
  if (grants(entry, attributes)) return;
  const user = entry.username ?? entry.principalArn;
  const subject = attributes.name
    ? `${attributes.resource} "${attributes.name}"`
    : attributes.resource;
  const where =
    attributes.namespace === ''
      ? 'at the cluster scope'
      : `in the namespace "${attributes.namespace}"`;
  throw new SimError(
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${attributes.verb} resource "${attributes.resource}" in API group "" ${where}`,
    403,
  );
}
