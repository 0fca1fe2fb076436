/**
 * The simulated cluster's objects as the Kubernetes API shows them.
 *
 * Service accounts, pods and namespaces live in the world (that is what a dump shows); the
 * server-side metadata a real API server adds — uid, resourceVersion, creationTimestamp — lives
 * beside it in a per-cluster book, so dumps stay in world shape and reseeding stays possible.
 * Objects seeded from the world get metadata in world order the first time their cluster is
 * served, which keeps uids and resource versions stable from run to run.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { SimError } from '../protocol.ts';
import type { SimulatorState } from '../state.ts';
import type { WorldCluster, WorldServiceAccount } from '../world.ts';
import type { JsonValue } from './kubernetes-patch.ts';

type WorldPod = WorldCluster['pods'][number];

interface ServerMetadata {
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
}

interface ClusterBook {
  /** etcd-like revision: every write in the cluster takes the next one. */
  revision: number;
  metadata: Map<string, ServerMetadata>;
}

/** Namespaces every EKS cluster has. */
const BUILT_IN_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];
const SEEDED_CREATION_TIMESTAMP = '2024-01-01T00:00:00Z';

const books = new WeakMap<WorldCluster, ClusterBook>();

export const keyOf = {
  serviceAccount: (namespace: string, name: string) => `serviceaccounts/${namespace}/${name}`,
  pod: (namespace: string, name: string) => `pods/${namespace}/${name}`,
  namespace: (name: string) => `namespaces/${name}`,
};

function uuidFrom(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function seededUid(cluster: WorldCluster, key: string): string {
  return uuidFrom(createHash('sha256').update(`${cluster.name}/${key}`).digest('hex'));
}

export function namespacesOf(cluster: WorldCluster): string[] {
  const names = new Set([
    ...BUILT_IN_NAMESPACES,
    ...cluster.namespaces,
    ...cluster.serviceAccounts.map((sa) => sa.namespace),
    ...cluster.pods.map((pod) => pod.namespace),
  ]);
  return [...names].sort();
}

export function namespaceExists(cluster: WorldCluster, name: string): boolean {
  return namespacesOf(cluster).includes(name);
}

function bookOf(cluster: WorldCluster): ClusterBook {
  let book = books.get(cluster);
  if (!book) {
    book = { revision: 0, metadata: new Map() };
    books.set(cluster, book);
    const seededKeys = [
      ...namespacesOf(cluster).map((name) => keyOf.namespace(name)),
      ...cluster.serviceAccounts.map((sa) => keyOf.serviceAccount(sa.namespace, sa.name)),
      ...cluster.pods.map((pod) => keyOf.pod(pod.namespace, pod.name)),
    ];
    for (const key of seededKeys) {
      book.revision += 1;
      book.metadata.set(key, {
        uid: seededUid(cluster, key),
        resourceVersion: String(book.revision),
        creationTimestamp: SEEDED_CREATION_TIMESTAMP,
      });
    }
  }
  return book;
}

/** The cluster's current revision, reported as a list's resourceVersion. */
export function currentRevision(cluster: WorldCluster): string {
  return String(bookOf(cluster).revision);
}

/** Server metadata of an existing object; objects that appeared in the world later get it on first sight. */
export function metadataOf(cluster: WorldCluster, key: string): ServerMetadata {
  const book = bookOf(cluster);
  let metadata = book.metadata.get(key);
  if (!metadata) {
    metadata = {
      uid: seededUid(cluster, key),
      resourceVersion: String(book.revision),
      creationTimestamp: SEEDED_CREATION_TIMESTAMP,
    };
    book.metadata.set(key, metadata);
  }
  return metadata;
}

/** Records a create: new uid and timestamp from the simulator's deterministic clock. */
export function recordCreated(state: SimulatorState, cluster: WorldCluster, key: string): void {
  const book = bookOf(cluster);
  book.revision += 1;
  const uid = uuidFrom(state.newId('', `${cluster.name}/${key}`, 32));
  book.metadata.set(key, {
    uid,
    resourceVersion: String(book.revision),
    creationTimestamp: state
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z'),
  });
}

export function recordUpdated(cluster: WorldCluster, key: string): void {
  const book = bookOf(cluster);
  const metadata = metadataOf(cluster, key);
  book.revision += 1;
  metadata.resourceVersion = String(book.revision);
}

export function recordDeleted(cluster: WorldCluster, key: string): void {
  const book = bookOf(cluster);
  book.revision += 1;
  book.metadata.delete(key);
}

function nonEmpty(map: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(map).length > 0 ? { ...map } : undefined;
}

/** A ServiceAccount as the API returns it; `kind`/`apiVersion` only on single objects, as in real lists. */
export function renderServiceAccount(
  cluster: WorldCluster,
  sa: WorldServiceAccount,
  withType = true,
): { [key: string]: JsonValue } {
  const server = metadataOf(cluster, keyOf.serviceAccount(sa.namespace, sa.name));
  const metadata: { [key: string]: JsonValue } = {
    name: sa.name,
    namespace: sa.namespace,
    uid: server.uid,
    resourceVersion: server.resourceVersion,
    creationTimestamp: server.creationTimestamp,
  };
  const labels = nonEmpty(sa.labels);
  const annotations = nonEmpty(sa.annotations);
  if (labels) metadata.labels = labels;
  if (annotations) metadata.annotations = annotations;
  return {
    ...(withType ? { kind: 'ServiceAccount', apiVersion: 'v1' } : {}),
    metadata,
    ...(sa.secrets ? { secrets: sa.secrets.map((secret) => ({ ...secret })) } : {}),
    ...(sa.imagePullSecrets
      ? { imagePullSecrets: sa.imagePullSecrets.map((secret) => ({ ...secret })) }
      : {}),
    ...(sa.automountServiceAccountToken === undefined
      ? {}
      : { automountServiceAccountToken: sa.automountServiceAccountToken }),
  };
}

export function renderPod(cluster: WorldCluster, pod: WorldPod): { [key: string]: JsonValue } {
  const server = metadataOf(cluster, keyOf.pod(pod.namespace, pod.name));
  return {
    metadata: { name: pod.name, namespace: pod.namespace, ...server },
    spec: { serviceAccountName: pod.serviceAccount, serviceAccount: pod.serviceAccount },
    status: { phase: 'Running' },
  };
}

export function renderNamespace(
  cluster: WorldCluster,
  name: string,
  withType = true,
): { [key: string]: JsonValue } {
  const server = metadataOf(cluster, keyOf.namespace(name));
  return {
    ...(withType ? { kind: 'Namespace', apiVersion: 'v1' } : {}),
    metadata: { name, ...server, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function invalid(kind: string, name: string, detail: string): SimError {
  return new SimError('Invalid', `${kind} "${name}" is invalid: ${detail}`, 422);
}

export function validateNamespaceName(name: string): void {
  if (name.length > 63 || !DNS1123_LABEL.test(name)) {
    throw invalid(
      'Namespace',
      name,
      `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
    );
  }
}

function isQualifiedKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)))
    return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

/** The fields of a ServiceAccount that the world keeps; anything else a client sends is dropped. */
const wireServiceAccount = z.looseObject({
  metadata: z.looseObject({
    name: z.string().optional(),
    namespace: z.string().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).nullish(),
    annotations: z.record(z.string(), z.string()).nullish(),
  }),
  secrets: z.array(z.looseObject({ name: z.string().optional() })).nullish(),
  imagePullSecrets: z.array(z.looseObject({ name: z.string().optional() })).nullish(),
  automountServiceAccountToken: z.boolean().nullish(),
});

export interface ParsedServiceAccount {
  serviceAccount: WorldServiceAccount;
  /** The resourceVersion the client sent, a precondition for updates and patches. */
  resourceVersion: string | undefined;
}

/**
 * Validates a ServiceAccount body (create, update, or the result of a patch) for `namespace` and
 * returns it in world shape. Decoding errors are 400 BadRequest, validation errors 422 Invalid.
 */
export function parseServiceAccount(body: unknown, namespace: string): ParsedServiceAccount {
  const parsed = wireServiceAccount.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SimError(
      'BadRequest',
      `ServiceAccount in version "v1" cannot be handled as a ServiceAccount: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid body'}`,
      400,
    );
  }
  const { metadata } = parsed.data;
  const name = metadata.name ?? '';
  if (
    metadata.namespace !== undefined &&
    metadata.namespace !== '' &&
    metadata.namespace !== namespace
  ) {
    throw new SimError(
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
      400,
    );
  }
  if (name === '')
    throw invalid(
      'ServiceAccount',
      name,
      'metadata.name: Required value: name or generateName is required',
    );
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw invalid(
      'ServiceAccount',
      name,
      `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  }
  const labels = metadata.labels ?? {};
  const annotations = metadata.annotations ?? {};
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedKey(key))
      throw invalid(
        'ServiceAccount',
        name,
        `metadata.labels: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
      );
    if (value.length > 63 || !LABEL_VALUE.test(value)) {
      throw invalid(
        'ServiceAccount',
        name,
        `metadata.labels: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
      );
    }
  }
  for (const key of Object.keys(annotations)) {
    if (!isQualifiedKey(key.toLowerCase())) {
      throw invalid(
        'ServiceAccount',
        name,
        `metadata.annotations: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
      );
    }
  }
  const serviceAccount: WorldServiceAccount = {
    namespace,
    name,
    labels: { ...labels },
    annotations: { ...annotations },
  };
  if (parsed.data.secrets)
    serviceAccount.secrets = parsed.data.secrets.map((secret) => ({ name: secret.name ?? '' }));
  if (parsed.data.imagePullSecrets) {
    serviceAccount.imagePullSecrets = parsed.data.imagePullSecrets.map((secret) => ({
      name: secret.name ?? '',
    }));
  }
  if (typeof parsed.data.automountServiceAccountToken === 'boolean') {
    serviceAccount.automountServiceAccountToken = parsed.data.automountServiceAccountToken;
  }
  return { serviceAccount, resourceVersion: metadata.resourceVersion };
}

/** Writes `next` into the world object in place, so references held elsewhere stay valid. */
export function replaceServiceAccount(
  target: WorldServiceAccount,
  next: WorldServiceAccount,
): void {
  target.labels = next.labels;
  target.annotations = next.annotations;
  for (const field of ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'] as const) {
    if (next[field] === undefined) delete target[field];
  }
  if (next.secrets) target.secrets = next.secrets;
  if (next.imagePullSecrets) target.imagePullSecrets = next.imagePullSecrets;
  if (next.automountServiceAccountToken !== undefined) {
    target.automountServiceAccountToken = next.automountServiceAccountToken;
  }
}

export function conflict(resource: string, name: string): SimError {
  return new SimError(
    'Conflict',
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    409,
  );
}
