/**
 * The simulator's HTTP server: one port on 127.0.0.1 for every simulated service.
 *
 * AWS requests are told apart by the service in their SigV4 credential scope, which every SDK
 * client signs with, so a single `AWS_ENDPOINT_URL` serves EKS, IAM, STS, S3 and CloudFormation.
 * Kubernetes requests carry a bearer token instead and live under `/k8s/<cluster>/`, the endpoint
 * DescribeCluster reports for each simulated cluster.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  json11Error,
  kubernetesError,
  queryError,
  restJsonError,
  type ServiceName,
  SimError,
  type SimRequest,
  type SimResponse,
  s3Error,
  throttlingError,
} from './protocol.ts';
import { SimulatorState } from './state.ts';
import type { World } from './world.ts';

/** The credentials every simulated run signs with; the Kubernetes API verifies tokens against them. */
export const SIMULATED_CREDENTIALS = {
  accessKeyId: 'ASIASIMULATEDACCESS',
  secretAccessKey: 'simulated-secret-access-key',
  sessionToken: 'simulated-session-token',
} as const;

/** One operation a service recognised in a request, resolved before it runs. */
export interface Operation {
  /** As the API names it (`CreatePodIdentityAssociation`), or `verb resource` for Kubernetes. */
  readonly operation: string;
  readonly mutating: boolean;
  run(): SimResponse | Promise<SimResponse>;
}

export interface ServiceContext {
  readonly state: SimulatorState;
  readonly requestId: string;
  /** Base URL of the simulator (for endpoints it hands out, such as a cluster's Kubernetes API). */
  readonly baseUrl: string;
}

export interface ServiceModule {
  readonly service: ServiceName;
  /** Recognises the operation or throws a SimError (unknown operation, malformed request). */
  resolve(request: SimRequest, context: ServiceContext): Operation;
}

export interface CallRecord {
  service: ServiceName;
  operation: string;
  status: number;
  mutating: boolean;
}

/**
 * A fault on the n-th mutating request the simulator runs (counted from when the fault is set),
 * for fault-injection tests:
 * - `fail`: that request is refused with an access-denied error, which no client retries, and
 *   changes nothing;
 * - `crash`: that request takes effect but its answer is lost, and from then on nothing else
 *   happens (every request is refused unrecorded), as if the Lambda died right after the call.
 */
export interface MutationFault {
  nth: number;
  mode: 'fail' | 'crash';
}

export interface SimulatorOptions {
  port?: number;
  /** Receives one line per call, for a person watching a run. */
  log?: (line: string) => void;
}

export class Simulator {
  readonly state: SimulatorState;
  readonly calls: CallRecord[] = [];
  /** Requests refused by a rate limit, per `service:Operation` (benchmarks report these). */
  readonly throttled = new Map<string, number>();
  private readonly modules = new Map<ServiceName, ServiceModule>();
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();
  private readonly operationCounts = new Map<string, number>();
  private server: Server | undefined;
  private address = '';
  private mutationFault: MutationFault | undefined;
  private mutationsRun = 0;
  private crashedAfter: number | undefined;

  constructor(
    world: World,
    modules: ServiceModule[],
    private readonly options: SimulatorOptions = {},
  ) {
    this.state = new SimulatorState(world);
    for (const module of modules) this.modules.set(module.service, module);
  }

  get url(): string {
    if (!this.server) throw new Error('the simulator is not listening; call start() first');
    return this.address;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      void this.handle(request, response);
    });
    // Keep-alive sockets of SDK clients would otherwise hold close() open until they time out.
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    this.server = server;
    this.address = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sets (or clears) the fault for the next mutating requests; see {@link MutationFault}. */
  injectMutationFault(fault: MutationFault | undefined): void {
    this.mutationFault = fault;
    this.mutationsRun = 0;
    this.crashedAfter = undefined;
  }

  /** Whether a `crash` fault has struck: nothing after it reaches the world. */
  get crashed(): boolean {
    return this.crashedAfter !== undefined;
  }

  /** Environment that points the AWS SDK v3 clients (and our adapters) at this simulator. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.url,
      AWS_REGION: this.state.region,
      AWS_DEFAULT_REGION: this.state.region,
      AWS_ACCESS_KEY_ID: SIMULATED_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIMULATED_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: SIMULATED_CREDENTIALS.sessionToken,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    };
  }

  dump(): World {
    return this.state.dump();
  }

  mutatingCalls(): CallRecord[] {
    return this.calls.filter((call) => call.mutating && call.status < 400);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const simRequest: SimRequest = {
      method: request.method ?? 'GET',
      url,
      segments: url.pathname
        .split('/')
        .filter((segment) => segment.length > 0)
        .map((segment) => decodeURIComponent(segment)),
      headers: request.headers,
      body,
    };
    const requestId = randomUUID();
    const service = serviceOf(simRequest);
    let result: SimResponse;
    let operationName = 'Unknown';
    let mutating = false;
    if (!service) {
      result = {
        status: 400,
        body: 'the simulator could not tell which service this request is for (no SigV4 credential scope and no /k8s/ path)',
      };
      this.send(response, result);
      return;
    }
    const context: ServiceContext = { state: this.state, requestId, baseUrl: this.address };
    try {
      const module = this.modules.get(service);
      if (!module)
        throw new SimError('InvalidAction', `the simulator does not serve ${service}`, 400);
      const operation = module.resolve(simRequest, context);
      operationName = operation.operation;
      mutating = operation.mutating;
      if (this.crashedAfter !== undefined) {
        this.send(
          response,
          renderError(service, crashedError(service, this.crashedAfter), requestId),
        );
        return;
      }
      const behaviour = this.state.world.behaviour;
      if (behaviour.latencyMs > 0) await sleep(behaviour.latencyMs);
      this.injectFault(service, operation.operation);
      this.takeToken(service, operation.operation, simRequest);
      const fault = mutating ? this.nextMutationFault() : undefined;
      if (fault === 'fail') {
        throw new SimError(
          deniedCode(service),
          `injected fault: mutating call ${this.mutationsRun} (${service}:${operationName}) refused`,
        );
      }
      result = await operation.run();
      if (fault === 'crash') {
        this.crashedAfter = this.mutationsRun;
        result = { ...result, dropConnection: true };
      }
    } catch (error) {
      result = renderError(service, asSimError(error), requestId);
    }
    this.calls.push({ service, operation: operationName, status: result.status, mutating });
    this.options.log?.(
      `${service} ${operationName} ${result.status}${mutating ? ' (mutating)' : ''}`,
    );
    this.send(response, result);
  }

  private nextMutationFault(): MutationFault['mode'] | undefined {
    if (!this.mutationFault) return undefined;
    this.mutationsRun += 1;
    return this.mutationsRun === this.mutationFault.nth ? this.mutationFault.mode : undefined;
  }

  private injectFault(service: ServiceName, operation: string): void {
    const key = `${service}:${operation}`;
    const nth = (this.operationCounts.get(key) ?? 0) + 1;
    this.operationCounts.set(key, nth);
    for (const fault of this.state.world.behaviour.faults) {
      if (fault.operation === key && nth >= fault.nth && nth < fault.nth + fault.times) {
        throw new SimError(fault.error, fault.message ?? `injected fault on call ${nth} of ${key}`);
      }
    }
  }

  /**
   * Token bucket per `service:Operation` (and `service:*`): it holds up to `burst` tokens and
   * refills `rate` per second (a fraction for rates below one a second). Each cluster's
   * Kubernetes API has buckets of its own, as each cluster has its own API server.
   */
  private takeToken(service: ServiceName, operation: string, request: SimRequest): void {
    const limits = this.state.world.behaviour.rateLimits;
    const scope = service === 'kubernetes' ? `@${request.segments[1] ?? ''}` : '';
    for (const key of [`${service}:${operation}`, `${service}:*`]) {
      const limit = limits[key];
      if (limit === undefined) continue;
      const { rate, burst } =
        typeof limit === 'number' ? { rate: limit, burst: Math.max(1, limit) } : limit;
      const now = performance.now();
      const bucketKey = `${key}${scope}`;
      const bucket = this.buckets.get(bucketKey) ?? { tokens: burst, updatedAt: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * rate);
      bucket.updatedAt = now;
      this.buckets.set(bucketKey, bucket);
      if (bucket.tokens < 1) {
        const operationKey = `${service}:${operation}`;
        this.throttled.set(operationKey, (this.throttled.get(operationKey) ?? 0) + 1);
        const error = throttlingError(service);
        // 429 answers (EKS, Kubernetes) say when to come back, in whole seconds as HTTP does.
        if (error.status === 429) {
          error.retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
        }
        throw error;
      }
      bucket.tokens -= 1;
    }
  }

  private send(response: ServerResponse, result: SimResponse): void {
    if (result.dropConnection) {
      response.destroy();
      return;
    }
    const body = result.body ?? '';
    // The status must be set before the headers go out: a 200 with an error body reads as success.
    response.writeHead(result.status, {
      ...result.headers,
      'content-length': String(Buffer.byteLength(body)),
    });
    response.end(body);
  }
}

function serviceOf(request: SimRequest): ServiceName | undefined {
  if (request.segments[0] === 'k8s') return 'kubernetes';
  // Presigned URLs (the STS GetCallerIdentity inside an EKS bearer token) carry the scope in the query.
  const credential =
    request.headers.authorization ??
    `Credential=${request.url.searchParams.get('X-Amz-Credential') ?? ''}`;
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(credential);
  const service = scope?.[1];
  if (service === 'eks' || service === 'iam' || service === 'sts' || service === 's3')
    return service;
  if (service === 'cloudformation' || service === 'events') return service;
  return undefined;
}

function deniedCode(service: ServiceName): string {
  if (service === 'eks') return 'AccessDeniedException';
  if (service === 'kubernetes') return 'Forbidden';
  return 'AccessDenied';
}

function crashedError(service: ServiceName, after: number): SimError {
  return new SimError(
    deniedCode(service),
    `injected crash: nothing happens after mutating call ${after}`,
  );
}

function renderError(service: ServiceName, error: SimError, requestId: string): SimResponse {
  const response = renderErrorBody(service, error, requestId);
  if (error.retryAfterSeconds === undefined) return response;
  return {
    ...response,
    headers: { ...response.headers, 'retry-after': String(error.retryAfterSeconds) },
  };
}

function renderErrorBody(service: ServiceName, error: SimError, requestId: string): SimResponse {
  switch (service) {
    case 'eks':
      return restJsonError(error);
    case 's3':
      return s3Error(error, requestId);
    case 'events':
      return json11Error(error);
    case 'kubernetes':
      return kubernetesError(error);
    default:
      return queryError(error, requestId);
  }
}

function asSimError(error: unknown): SimError {
  if (error instanceof SimError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SimError('InternalError', `simulator failure: ${message}`, 500);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
