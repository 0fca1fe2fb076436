/**
 * The simulated Kubernetes API of each simulated EKS cluster, served at `<simulator>/k8s/<cluster>`
 * (the endpoint the simulated DescribeCluster reports). It answers what `@kubernetes/client-node`
 * 1.4 `CoreV1Api` sends for service accounts, namespaces and pods, with the API server's status
 * codes and `Status` bodies.
 *
 * Every request is checked in the order the real server checks it: the endpoint must be reachable,
 * the bearer token must be a valid EKS token for this cluster (401), the caller's access entry
 * must allow the request (403); see kubernetes-auth.ts. A cluster with `kubernetesReachable: false`
 * (or a name no cluster has) resets the connection without answering: from outside its VPC a
 * private-only endpoint never answers, and an immediate reset gives clients the same
 * connection-level error without the minutes a TCP connect timeout takes. The call log shows such
 * calls with status 503.
 */
import { json, SimError, type SimRequest, type SimResponse } from '../protocol.ts';
import type { Operation, ServiceContext, ServiceModule } from '../server.ts';
import type { WorldCluster, WorldServiceAccount } from '../world.ts';
import {
  accessEntryOf,
  authenticate,
  authorize,
  type RequestAttributes,
} from './kubernetes-auth.ts';
import { type Listable, paginate, selectorFilter } from './kubernetes-lists.ts';
import {
  conflict,
  currentRevision,
  keyOf,
  metadataOf,
  namespaceExists,
  namespacesOf,
  parseServiceAccount,
  recordCreated,
  recordDeleted,
  recordUpdated,
  renderNamespace,
  renderPod,
  renderServiceAccount,
  replaceServiceAccount,
  validateNamespaceName,
} from './kubernetes-objects.ts';
import {
  applyJsonPatch,
  asJsonPatch,
  type JsonObject,
  type JsonValue,
  mergePatch,
  PatchApplyError,
  strategicMergePatchServiceAccount,
} from './kubernetes-patch.ts';

type Verb = RequestAttributes['verb'];
type Resource = RequestAttributes['resource'];

interface Route {
  verb: Verb;
  resource: Resource;
  /** Path namespace, or '' for requests across namespaces and for cluster-scoped ones. */
  namespace: string;
  name: string | undefined;
}

const MUTATING_VERBS = new Set<Verb>(['create', 'update', 'patch', 'delete']);
const MERGE_PATCH_TYPES = new Set([
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
]);
const JSON_PATCH_TYPE = 'application/json-patch+json';
const STRATEGIC_MERGE_PATCH_TYPE = 'application/strategic-merge-patch+json';
const SERVICE_ACCOUNT_FIELDS = new Set(['metadata.name', 'metadata.namespace']);
const POD_FIELDS = new Set([
  'metadata.name',
  'metadata.namespace',
  'spec.serviceAccountName',
  'status.phase',
]);
const NAMESPACE_FIELDS = new Set(['metadata.name', 'status.phase']);

function notFound(resource: string, name: string): SimError {
  return new SimError('NotFound', `${resource} "${name}" not found`, 404);
}

function badRequest(message: string): SimError {
  return new SimError('BadRequest', message, 400);
}

function methodNotAllowed(method: string): SimError {
  return new SimError(
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
    405,
  );
}

function unknownResource(): SimError {
  return new SimError('NotFound', 'the server could not find the requested resource', 404);
}

/** Maps `api/v1/...` path segments and the method to a verb on a resource. */
function routeOf(method: string, path: string[]): Route {
  const [first, namespace, resource, name, extra] = path;
  if (path.length === 1 && (first === 'serviceaccounts' || first === 'pods')) {
    if (method !== 'GET') throw methodNotAllowed(method);
    return { verb: 'list', resource: first, namespace: '', name: undefined };
  }
  if (first !== 'namespaces' || extra !== undefined) throw unknownResource();
  if (namespace === undefined) {
    if (method === 'GET')
      return { verb: 'list', resource: 'namespaces', namespace: '', name: undefined };
    if (method === 'POST')
      return { verb: 'create', resource: 'namespaces', namespace: '', name: undefined };
    throw methodNotAllowed(method);
  }
  if (resource === undefined) {
    // RBAC sees a request for a Namespace object as happening inside that namespace.
    if (method === 'GET')
      return { verb: 'get', resource: 'namespaces', namespace, name: namespace };
    throw methodNotAllowed(method);
  }
  if (resource === 'pods' && name === undefined) {
    if (method !== 'GET') throw methodNotAllowed(method);
    return { verb: 'list', resource: 'pods', namespace, name: undefined };
  }
  if (resource !== 'serviceaccounts') throw unknownResource();
  if (name === undefined) {
    if (method === 'GET') return { verb: 'list', resource, namespace, name: undefined };
    if (method === 'POST') return { verb: 'create', resource, namespace, name: undefined };
    throw methodNotAllowed(method);
  }
  const verbs: Record<string, Verb> = {
    GET: 'get',
    PATCH: 'patch',
    PUT: 'update',
    DELETE: 'delete',
  };
  const verb = verbs[method];
  if (!verb) throw methodNotAllowed(method);
  return { verb, resource, namespace, name };
}

function parseBody(request: SimRequest): unknown {
  const text = request.body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`the request body is not valid JSON: ${(error as Error).message}`);
  }
}

function mediaType(request: SimRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Request-shape checks for a patch, before anything runs. */
function parsePatch(request: SimRequest): (current: JsonValue) => JsonValue {
  const type = mediaType(request);
  if (MERGE_PATCH_TYPES.has(type)) {
    const patch = parseBody(request);
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw badRequest('a merge patch must be a JSON object');
    }
    if (type === STRATEGIC_MERGE_PATCH_TYPE) {
      return (current) => {
        try {
          return strategicMergePatchServiceAccount(current, patch as JsonObject);
        } catch (error) {
          if (error instanceof PatchApplyError) throw new SimError('Invalid', error.message, 422);
          throw error;
        }
      };
    }
    return (current) => mergePatch(current, patch as JsonValue);
  }
  if (type === JSON_PATCH_TYPE) {
    const operations = asJsonPatch(parseBody(request));
    if (!operations)
      throw badRequest('the body is not a JSON Patch document (an array of {op, path, ...})');
    return (current) => {
      try {
        return applyJsonPatch(current, operations);
      } catch (error) {
        if (error instanceof PatchApplyError) throw new SimError('Invalid', error.message, 422);
        throw error;
      }
    };
  }
  throw new SimError(
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${JSON_PATCH_TYPE}, application/merge-patch+json, application/strategic-merge-patch+json`,
    415,
  );
}

function listOf(
  kind: string,
  cluster: WorldCluster,
  query: URLSearchParams,
  items: Listable[],
  render: (index: number) => JsonValue,
): SimResponse {
  const page = paginate(
    items.map((item, index) => ({ ...item, index })),
    query,
  );
  const filtered = query.has('labelSelector') || query.has('fieldSelector');
  return json(200, {
    kind,
    apiVersion: 'v1',
    metadata: {
      resourceVersion: currentRevision(cluster),
      ...(page.continueToken ? { continue: page.continueToken } : {}),
      ...(page.continueToken && !filtered ? { remainingItemCount: page.remaining } : {}),
    },
    items: page.items.map((item) => render(item.index)),
  });
}

function serviceAccountListable(sa: WorldServiceAccount): Listable {
  return {
    namespace: sa.namespace,
    name: sa.name,
    labels: sa.labels,
    fields: { 'metadata.name': sa.name, 'metadata.namespace': sa.namespace },
  };
}

class KubernetesApi {
  constructor(
    private readonly context: ServiceContext,
    private readonly cluster: WorldCluster,
    private readonly request: SimRequest,
    private readonly route: Route,
  ) {}

  private get query(): URLSearchParams {
    return this.request.url.searchParams;
  }

  private get serviceAccounts(): WorldServiceAccount[] {
    return this.cluster.serviceAccounts;
  }

  private findServiceAccount(namespace: string, name: string): WorldServiceAccount | undefined {
    return this.serviceAccounts.find((sa) => sa.namespace === namespace && sa.name === name);
  }

  private existingServiceAccount(): WorldServiceAccount {
    const name = this.route.name ?? '';
    const sa = this.findServiceAccount(this.route.namespace, name);
    if (!sa) throw notFound('serviceaccounts', name);
    return sa;
  }

  listServiceAccounts(): SimResponse {
    const filter = selectorFilter(this.query, SERVICE_ACCOUNT_FIELDS);
    const selected = this.serviceAccounts.filter(
      (sa) =>
        (this.route.namespace === '' || sa.namespace === this.route.namespace) &&
        filter(serviceAccountListable(sa)),
    );
    return listOf(
      'ServiceAccountList',
      this.cluster,
      this.query,
      selected.map(serviceAccountListable),
      (index) => renderServiceAccount(this.cluster, selected[index] as WorldServiceAccount, false),
    );
  }

  getServiceAccount(): SimResponse {
    return json(200, renderServiceAccount(this.cluster, this.existingServiceAccount()));
  }

  createServiceAccount(body: unknown): SimResponse {
    const { namespace } = this.route;
    const parsed = parseServiceAccount(body, namespace);
    if (parsed.resourceVersion)
      throw badRequest('resourceVersion should not be set on objects to be created');
    if (!namespaceExists(this.cluster, namespace)) throw notFound('namespaces', namespace);
    const { name } = parsed.serviceAccount;
    if (this.findServiceAccount(namespace, name)) {
      throw new SimError('AlreadyExists', `serviceaccounts "${name}" already exists`, 409);
    }
    this.serviceAccounts.push(parsed.serviceAccount);
    recordCreated(this.context.state, this.cluster, keyOf.serviceAccount(namespace, name));
    return json(201, renderServiceAccount(this.cluster, parsed.serviceAccount));
  }

  /** Shared end of update and patch: preconditions, validation, and a write only when something changed. */
  private write(target: WorldServiceAccount, body: unknown): SimResponse {
    const { namespace } = this.route;
    const name = this.route.name ?? '';
    const bodyName = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    if (bodyName !== undefined && bodyName !== name) {
      throw badRequest(
        `the name of the object (${String(bodyName)}) does not match the name on the URL (${name})`,
      );
    }
    const parsed = parseServiceAccount(body, namespace);
    const key = keyOf.serviceAccount(namespace, name);
    const current = metadataOf(this.cluster, key).resourceVersion;
    if (parsed.resourceVersion !== undefined && parsed.resourceVersion !== current)
      throw conflict('serviceaccounts', name);
    const before = JSON.stringify(renderServiceAccount(this.cluster, target));
    replaceServiceAccount(target, parsed.serviceAccount);
    // Like the real server, a write that changes nothing keeps the resourceVersion.
    if (JSON.stringify(renderServiceAccount(this.cluster, target)) !== before)
      recordUpdated(this.cluster, key);
    return json(200, renderServiceAccount(this.cluster, target));
  }

  patchServiceAccount(apply: (current: JsonValue) => JsonValue): SimResponse {
    const target = this.existingServiceAccount();
    return this.write(target, apply(renderServiceAccount(this.cluster, target)));
  }

  updateServiceAccount(body: unknown): SimResponse {
    return this.write(this.existingServiceAccount(), body);
  }

  deleteServiceAccount(): SimResponse {
    const target = this.existingServiceAccount();
    const rendered = renderServiceAccount(this.cluster, target);
    const { namespace } = target;
    this.serviceAccounts.splice(this.serviceAccounts.indexOf(target), 1);
    // A namespace the world only implied through its objects must outlive its last service account.
    if (!namespaceExists(this.cluster, namespace)) this.cluster.namespaces.push(namespace);
    recordDeleted(this.cluster, keyOf.serviceAccount(namespace, target.name));
    return json(200, rendered);
  }

  getNamespace(): SimResponse {
    const { namespace } = this.route;
    if (!namespaceExists(this.cluster, namespace)) throw notFound('namespaces', namespace);
    return json(200, renderNamespace(this.cluster, namespace));
  }

  createNamespace(body: unknown): SimResponse {
    const name = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    if (typeof name !== 'string' || name === '') {
      throw new SimError(
        'Invalid',
        'Namespace "" is invalid: metadata.name: Required value: name or generateName is required',
        422,
      );
    }
    validateNamespaceName(name);
    if (namespaceExists(this.cluster, name))
      throw new SimError('AlreadyExists', `namespaces "${name}" already exists`, 409);
    this.cluster.namespaces.push(name);
    recordCreated(this.context.state, this.cluster, keyOf.namespace(name));
    return json(201, renderNamespace(this.cluster, name));
  }

  listNamespaces(): SimResponse {
    const filter = selectorFilter(this.query, NAMESPACE_FIELDS);
    const listables = namespacesOf(this.cluster)
      .map(
        (name): Listable => ({
          namespace: '',
          name,
          labels: { 'kubernetes.io/metadata.name': name },
          fields: { 'metadata.name': name, 'status.phase': 'Active' },
        }),
      )
      .filter(filter);
    return listOf('NamespaceList', this.cluster, this.query, listables, (index) =>
      renderNamespace(this.cluster, (listables[index] as Listable).name, false),
    );
  }

  listPods(): SimResponse {
    const filter = selectorFilter(this.query, POD_FIELDS);
    const selected = this.cluster.pods
      .map((pod) => ({
        pod,
        listable: {
          namespace: pod.namespace,
          name: pod.name,
          labels: {},
          fields: {
            'metadata.name': pod.name,
            'metadata.namespace': pod.namespace,
            'spec.serviceAccountName': pod.serviceAccount,
            'status.phase': 'Running',
          },
        } satisfies Listable,
      }))
      .filter(
        ({ pod, listable }) =>
          (this.route.namespace === '' || pod.namespace === this.route.namespace) &&
          filter(listable),
      );
    return listOf(
      'PodList',
      this.cluster,
      this.query,
      selected.map(({ listable }) => listable),
      (index) => renderPod(this.cluster, (selected[index] as (typeof selected)[number]).pod),
    );
  }
}

async function serve(
  request: SimRequest,
  context: ServiceContext,
  clusterName: string,
  route: Route,
  action: (api: KubernetesApi) => SimResponse,
): Promise<SimResponse> {
  const cluster = context.state.cluster(clusterName);
  if (!cluster?.kubernetesReachable) return { status: 503, dropConnection: true };
  await authenticate(request, cluster, context.baseUrl);
  const entry = accessEntryOf(cluster, context.state.world.caller);
  authorize(entry, route);
  return action(new KubernetesApi(context, cluster, request, route));
}

/** What a call does to the cluster's API, given the request it was resolved from. */
type Handler = (request: SimRequest) => (api: KubernetesApi) => SimResponse;

function withoutBody(act: (api: KubernetesApi) => SimResponse): Handler {
  return () => act;
}

/** The body is decoded as the call is resolved, so a malformed one is refused before it runs. */
function withBody<Body>(
  decode: (request: SimRequest) => Body,
  act: (api: KubernetesApi, body: Body) => SimResponse,
): Handler {
  return (request) => {
    const body = decode(request);
    return (api) => act(api, body);
  };
}

/** The calls the simulated API serves, by `verb resource`. */
const handlers: Readonly<Record<string, Handler>> = {
  'list serviceaccounts': withoutBody((api) => api.listServiceAccounts()),
  'get serviceaccounts': withoutBody((api) => api.getServiceAccount()),
  'create serviceaccounts': withBody(parseBody, (api, body) => api.createServiceAccount(body)),
  'patch serviceaccounts': withBody(parsePatch, (api, apply) => api.patchServiceAccount(apply)),
  'update serviceaccounts': withBody(parseBody, (api, body) => api.updateServiceAccount(body)),
  'delete serviceaccounts': withoutBody((api) => api.deleteServiceAccount()),
  'get namespaces': withoutBody((api) => api.getNamespace()),
  'create namespaces': withBody(parseBody, (api, body) => api.createNamespace(body)),
  'list namespaces': withoutBody((api) => api.listNamespaces()),
  'list pods': withoutBody((api) => api.listPods()),
};

export const kubernetesService: ServiceModule = {
  service: 'kubernetes',
  resolve(request: SimRequest, context: ServiceContext): Operation {
    const [, clusterName = '', group, version, ...path] = request.segments;
    if (group !== 'api' || version !== 'v1') {
      throw unknownResource();
    }
    const route = routeOf(request.method, path);
    const query = request.url.searchParams;
    if (query.get('watch') === 'true' || query.get('watch') === '1')
      throw badRequest('the simulator does not serve watches');
    if (query.has('dryRun')) throw badRequest('the simulator does not serve dry-run requests');

    const key = `${route.verb} ${route.resource}`;
    const handler = Object.hasOwn(handlers, key) ? handlers[key] : undefined;
    if (!handler) {
      throw unknownResource();
    }
    const action = handler(request);
    return {
      operation: key,
      mutating: MUTATING_VERBS.has(route.verb),
      run: () => serve(request, context, clusterName, route, action),
    };
  },
};
