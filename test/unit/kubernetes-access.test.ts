import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { STSClient } from '@aws-sdk/client-sts';
import {
  configureAwsClients,
  inLambdaInstance,
  newLambdaInstance,
  stsEndpointUrl,
} from '../../functions/aws/clients.ts';
import {
  type ClusterEndpoint,
  createServiceAccount,
  eksBearerToken,
  eksTokenExpiresAt,
  ensureNamespace,
  getServiceAccount,
  KubernetesApiError,
  KubernetesAuthError,
  KubernetesConflictError,
  KubernetesForbiddenError,
  KubernetesNotFoundError,
  KubernetesUnreachableError,
  kubernetesApiFor,
  kubernetesClientFor,
  listPods,
  listServiceAccounts,
  mergePatchServiceAccount,
  retryDelayMs,
} from '../../functions/aws/kubernetes.ts';
import { SIMULATED_CREDENTIALS, Simulator } from '../../local/simulator/server.ts';
import { kubernetesService } from '../../local/simulator/services/kubernetes.ts';
import { parseWorld } from '../../local/simulator/world.ts';

const REGION = 'us-west-2';
const CALLER = 'arn:aws:iam::111122223333:role/automation';
const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
const credentials = { ...SIMULATED_CREDENTIALS };

function world(policy: string, faults = '[]'): string {
  const serviceAccounts = Array.from(
    { length: 5 },
    (_, index) =>
      `      - {namespace: apps, name: app-${index}, annotations: {${ROLE_ARN_ANNOTATION}: arn:aws:iam::111122223333:role/app-${index}, keep: me}, labels: {app: a${index}}, imagePullSecrets: [{name: regcred}], automountServiceAccountToken: false}`,
  ).join('\n');
  return `
account: "111122223333"
region: ${REGION}
caller: ${CALLER}
clusters:
  - name: demo
    accessEntries: [{principalArn: ${CALLER}, policies: [{policyArn: ${policy}, scope: cluster}]}]
    serviceAccounts:
${serviceAccounts}
    pods:
      - {namespace: apps, name: app-0-pod, serviceAccount: app-0}
      - {namespace: apps, name: app-1-pod, serviceAccount: app-1}
      - {namespace: web, name: anonymous}
  - name: private
    kubernetesReachable: false
    accessEntries: [{principalArn: ${CALLER}, policies: [{policyArn: ${policy}, scope: cluster}]}]
behaviour:
  faults: ${faults}
`;
}

function endpointOf(sim: Simulator, name = 'demo'): ClusterEndpoint {
  return { name, endpoint: `${sim.url}/k8s/${name}` };
}

function decode(token: string): URL {
  return new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
}

/** Runs `work` with neither endpoint variable set, then puts back what was there. */
async function withoutEndpointVariables(work: () => Promise<void>): Promise<void> {
  const names = ['AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL'] as const;
  const saved = names.map((name) => process.env[name]);
  for (const name of names) delete process.env[name];
  try {
    await work();
  } finally {
    names.forEach((name, index) => {
      const value = saved[index];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    });
  }
}

describe('eksBearerToken', () => {
  afterEach(() => configureAwsClients({}));

  it('presigns GetCallerIdentity for 60 s, signing the cluster header, in base64url without padding', async () => {
    const signingDate = new Date('2026-03-01T10:00:00Z');
    const token = await eksBearerToken({
      clusterName: 'demo',
      region: REGION,
      credentials,
      stsEndpoint: 'https://sts.us-west-2.amazonaws.com',
      signingDate,
    });
    assert.match(token, /^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = decode(token);
    assert.equal(url.origin, 'https://sts.us-west-2.amazonaws.com');
    assert.equal(url.pathname, '/');
    assert.equal(url.searchParams.get('Action'), 'GetCallerIdentity');
    assert.equal(url.searchParams.get('Version'), '2011-06-15');
    assert.equal(url.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
    assert.equal(
      url.searchParams.get('X-Amz-Credential'),
      'ASIASIMULATEDACCESS/20260301/us-west-2/sts/aws4_request',
    );
    assert.equal(url.searchParams.get('X-Amz-Date'), '20260301T100000Z');
    assert.equal(url.searchParams.get('X-Amz-Expires'), '60');
    assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'host;x-k8s-aws-id');
    assert.equal(url.searchParams.get('X-Amz-Security-Token'), 'simulated-session-token');
    assert.match(url.searchParams.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(eksTokenExpiresAt(token), new Date('2026-03-01T10:15:00Z'));
  });

  it('names the endpoint the STS client would resolve in every partition, without building one', async () => {
    configureAwsClients({});
    await withoutEndpointVariables(async () => {
      const regions = ['us-east-1', 'eu-central-1', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1'];
      for (const region of regions) {
        const sts = new STSClient({ region });
        const resolved = sts.config.endpointProvider({
          Region: region,
          UseFIPS: false,
          UseDualStack: false,
          UseGlobalEndpoint: false,
        });
        assert.equal(new URL(stsEndpointUrl(region)).href, resolved.url.href, region);
        sts.destroy();
      }
      configureAwsClients({ endpoint: 'http://127.0.0.1:4599' });
      assert.equal(stsEndpointUrl('us-east-1'), 'http://127.0.0.1:4599');
    });
  });

  it('names the STS endpoint of the environment, else the regional one, and signs with the EKS client credentials', async () => {
    await withoutEndpointVariables(async () => {
      process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:4566';
      configureAwsClients({
        region: REGION,
        credentials: { accessKeyId: 'AKIACONFIGURED', secretAccessKey: 's' },
      });
      const fromEnvironment = decode(await eksBearerToken({ clusterName: 'demo', region: REGION }));
      assert.equal(fromEnvironment.origin, 'http://127.0.0.1:4566');
      assert.match(fromEnvironment.searchParams.get('X-Amz-Credential') ?? '', /^AKIACONFIGURED\//);

      delete process.env.AWS_ENDPOINT_URL_STS;
      configureAwsClients({ region: 'eu-central-1', credentials });
      const regional = decode(
        await eksBearerToken({ clusterName: 'demo', region: 'eu-central-1' }),
      );
      assert.equal(regional.origin, 'https://sts.eu-central-1.amazonaws.com');
    });
  });
});

describe('Kubernetes access through the simulator', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await new Simulator(parseWorld(world('AmazonEKSClusterAdminPolicy')), [
      kubernetesService,
    ]).start();
    // The product's own EKS client supplies the credentials and the endpoint, as in a local run.
    configureAwsClients({ endpoint: sim.url, region: REGION, credentials });
  });
  afterEach(async () => {
    configureAwsClients({});
    await sim.close();
  });

  it('lists every service account across pages with a token the cluster accepts', async () => {
    const api = await kubernetesApiFor(endpointOf(sim), { region: REGION });
    const accounts = await listServiceAccounts(api, { pageSize: 2 });
    assert.deepEqual(
      accounts.map((sa) => sa.name),
      ['app-0', 'app-1', 'app-2', 'app-3', 'app-4'],
    );
    assert.equal(
      accounts[0]?.annotations[ROLE_ARN_ANNOTATION],
      'arn:aws:iam::111122223333:role/app-0',
    );
    assert.equal(sim.calls.filter((call) => call.operation === 'list serviceaccounts').length, 3);
    const inApps = await listServiceAccounts(api, { namespace: 'apps', labelSelector: 'app=a3' });
    assert.deepEqual(
      inApps.map((sa) => sa.name),
      ['app-3'],
    );
  });

  it('reuses one client per cluster while its token is valid', async () => {
    const first = await kubernetesApiFor(endpointOf(sim), { region: REGION });
    const second = await kubernetesApiFor(endpointOf(sim), { region: REGION });
    assert.equal(first, second);
    const token = await eksBearerToken({
      clusterName: 'demo',
      region: REGION,
      signingDate: new Date(Date.now() - 60_000),
    });
    assert.notEqual(kubernetesClientFor(endpointOf(sim), token), first);
    assert.equal(
      kubernetesClientFor(endpointOf(sim), token),
      kubernetesClientFor(endpointOf(sim), token),
    );
  });

  it('gives each Lambda instance its own client and token, as separate processes have', async () => {
    const [first, second] = [newLambdaInstance(), newLambdaInstance()];
    const inFirst = () =>
      inLambdaInstance(first, () => kubernetesApiFor(endpointOf(sim), { region: REGION }));
    const firstApi = await inFirst();
    const secondApi = await inLambdaInstance(second, () =>
      kubernetesApiFor(endpointOf(sim), { region: REGION }),
    );
    assert.notEqual(firstApi, secondApi);
    assert.equal(await inFirst(), firstApi);
  });

  it('removes the role-arn annotation with a merge patch and leaves everything else', async () => {
    const api = await kubernetesApiFor(endpointOf(sim), { region: REGION });
    const patched = await mergePatchServiceAccount(api, 'apps', 'app-1', {
      metadata: { annotations: { [ROLE_ARN_ANNOTATION]: null } },
    });
    assert.deepEqual(patched.annotations, { keep: 'me' });
    assert.deepEqual(patched.labels, { app: 'a1' });
    assert.deepEqual(sim.dump().clusters[0]?.serviceAccounts[1], {
      namespace: 'apps',
      name: 'app-1',
      annotations: { keep: 'me' },
      labels: { app: 'a1' },
      imagePullSecrets: [{ name: 'regcred' }],
      automountServiceAccountToken: false,
    });
  });

  it('ensures a namespace, creates and reads a service account, and lists pods', async () => {
    const api = await kubernetesApiFor(endpointOf(sim), { region: REGION });
    assert.equal(await ensureNamespace(api, 'payments'), 'created');
    assert.equal(await ensureNamespace(api, 'payments'), 'existing');
    assert.equal(await getServiceAccount(api, 'payments', 'billing'), undefined);
    const created = await createServiceAccount(api, {
      namespace: 'payments',
      name: 'billing',
      labels: { 'app.kubernetes.io/managed-by': 'eks-pod-identity-automation' },
    });
    assert.ok(created.uid);
    assert.deepEqual(await getServiceAccount(api, 'payments', 'billing'), created);
    const pods = await listPods(api, { pageSize: 2 });
    assert.deepEqual(
      pods.map((pod) => `${pod.namespace}/${pod.name}:${pod.serviceAccountName}`),
      ['apps/app-0-pod:app-0', 'apps/app-1-pod:app-1', 'web/anonymous:default'],
    );
  });

  it('maps 409 to KubernetesConflictError and 404 to KubernetesNotFoundError', async () => {
    const api = await kubernetesApiFor(endpointOf(sim), { region: REGION });
    await assert.rejects(
      createServiceAccount(api, { namespace: 'apps', name: 'app-0' }),
      (error: unknown) => {
        assert.ok(error instanceof KubernetesConflictError);
        assert.equal(error.name, 'KubernetesConflictError');
        assert.equal(error.reason, 'AlreadyExists');
        return true;
      },
    );
    await assert.rejects(
      mergePatchServiceAccount(api, 'apps', 'ghost', { metadata: { labels: { a: 'b' } } }),
      (error: unknown) =>
        error instanceof KubernetesNotFoundError &&
        /serviceaccounts "ghost" not found/.test(error.message),
    );
  });

  it('maps 401 to KubernetesAuthError for a token minted for another cluster', async () => {
    const token = await eksBearerToken({ clusterName: 'private', region: REGION });
    await assert.rejects(
      listServiceAccounts(kubernetesClientFor(endpointOf(sim), token)),
      (error: unknown) =>
        error instanceof KubernetesAuthError &&
        error.cluster === 'demo' &&
        /access entry/.test(error.message),
    );
  });

  it('maps a reset connection to KubernetesUnreachableError', async () => {
    const api = await kubernetesApiFor(endpointOf(sim, 'private'), { region: REGION });
    await assert.rejects(listPods(api), (error: unknown) => {
      assert.ok(error instanceof KubernetesUnreachableError);
      assert.equal(error.endpoint, `${sim.url}/k8s/private`);
      assert.match(error.message, /ECONNRESET/);
      return true;
    });
  });

  it('retries a throttled request and then succeeds', async () => {
    await sim.close();
    sim = await new Simulator(
      parseWorld(
        world(
          'AmazonEKSClusterAdminPolicy',
          '[{operation: "kubernetes:list pods", nth: 1, times: 2, error: TooManyRequests}]',
        ),
      ),
      [kubernetesService],
    ).start();
    const api = await kubernetesApiFor(endpointOf(sim), { region: REGION, stsEndpoint: sim.url });
    assert.equal((await listPods(api)).length, 3);
    assert.deepEqual(
      sim.calls.map((call) => call.status),
      [429, 429, 200],
    );
  });

  it('gives up on a failure that persists and reports it as KubernetesApiError', async () => {
    await sim.close();
    sim = await new Simulator(
      parseWorld(
        world(
          'AmazonEKSClusterAdminPolicy',
          '[{operation: "kubernetes:list pods", nth: 1, times: 9, error: InternalServerError}]',
        ),
      ),
      [kubernetesService],
    ).start();
    const api = await kubernetesApiFor(endpointOf(sim), { region: REGION, stsEndpoint: sim.url });
    await assert.rejects(
      listPods(api),
      (error: unknown) => error instanceof KubernetesApiError && error.status === 500,
    );
    assert.equal(sim.calls.length, 4);
  });
});

describe('Kubernetes access errors that name what is missing', () => {
  it('maps 403 to KubernetesForbiddenError with the missing permission and a policy that grants it', async () => {
    const sim = await new Simulator(parseWorld(world('AmazonEKSViewPolicy')), [
      kubernetesService,
    ]).start();
    try {
      const token = await eksBearerToken({
        clusterName: 'demo',
        region: REGION,
        credentials,
        stsEndpoint: sim.url,
      });
      const api = kubernetesClientFor(endpointOf(sim), token);
      assert.equal((await listServiceAccounts(api)).length, 5);
      await assert.rejects(
        mergePatchServiceAccount(api, 'apps', 'app-0', {
          metadata: { annotations: { [ROLE_ARN_ANNOTATION]: null } },
        }),
        (error: unknown) => {
          assert.ok(error instanceof KubernetesForbiddenError);
          assert.equal(error.permission, 'patch serviceaccounts in namespace "apps"');
          assert.equal(error.suggestedPolicy, 'AmazonEKSEditPolicy');
          assert.match(error.message, /cannot patch resource "serviceaccounts"/);
          return true;
        },
      );
      await assert.rejects(
        ensureNamespace(api, 'new-ns'),
        (error: unknown) =>
          error instanceof KubernetesForbiddenError &&
          error.suggestedPolicy === 'AmazonEKSClusterAdminPolicy',
      );
    } finally {
      await sim.close();
    }
  });

  it('maps an endpoint that never answers to KubernetesUnreachableError after the request timeout', async () => {
    const silent: Server = createServer(() => {
      // Never answers, like a private endpoint seen from outside its VPC.
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const token = await eksBearerToken({
        clusterName: 'silent',
        region: REGION,
        credentials,
        stsEndpoint: `http://127.0.0.1:${port}`,
      });
      const api = kubernetesClientFor(
        { name: 'silent', endpoint: `http://127.0.0.1:${port}` },
        token,
        {
          requestTimeoutMs: 100,
        },
      );
      await assert.rejects(
        listServiceAccounts(api),
        (error: unknown) =>
          error instanceof KubernetesUnreachableError && /no answer in time/.test(error.message),
      );
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('Kubernetes access over TLS', () => {
  const fixture = (name: string) =>
    readFileSync(new URL(`fixtures/tls/${name}`, import.meta.url), 'utf8');
  const caData = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');
  let server: ReturnType<typeof createTlsServer>;
  let endpoint: string;
  const seen: { method?: string; url?: string; authorization?: string }[] = [];

  beforeEach(async () => {
    seen.length = 0;
    server = createTlsServer(
      { key: fixture('server.key'), cert: fixture('server.pem') },
      (request, response) => {
        seen.push({
          method: request.method,
          url: request.url,
          authorization: request.headers.authorization,
        });
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            kind: 'ServiceAccountList',
            items: [{ metadata: { namespace: 'apps', name: 'app-0' } }],
            metadata: {},
          }),
        );
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('trusts the cluster by its certificate authority and sends the bearer token', async () => {
    const client = kubernetesClientFor(
      { name: 'tls', endpoint, certificateAuthorityData: caData(fixture('ca.pem')) },
      'k8s-aws-v1.token',
    );
    const accounts = await listServiceAccounts(client, { namespace: 'apps', pageSize: 2 });
    assert.deepEqual(
      accounts.map((account) => `${account.namespace}/${account.name}`),
      ['apps/app-0'],
    );
    assert.deepEqual(seen, [
      {
        method: 'GET',
        url: '/api/v1/namespaces/apps/serviceaccounts?limit=2',
        authorization: 'Bearer k8s-aws-v1.token',
      },
    ]);
  });

  it('refuses a server whose certificate another authority signed, before sending the token', async () => {
    const client = kubernetesClientFor(
      { name: 'tls', endpoint, certificateAuthorityData: caData(fixture('other-ca.pem')) },
      'k8s-aws-v1.token',
    );
    await assert.rejects(
      listServiceAccounts(client),
      (error: unknown) =>
        error instanceof KubernetesUnreachableError &&
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i.test(error.message),
    );
    assert.deepEqual(seen, []);
  });
});

describe('Kubernetes retry delays', () => {
  it('waits at least what Retry-After asks, plus a random share of the backoff', () => {
    assert.equal(
      retryDelayMs(429, { 'retry-after': '2' }, 1, () => 0),
      2000,
    );
    assert.equal(
      retryDelayMs(429, { 'retry-after': '2' }, 2, () => 1),
      2500,
    );
    // A server asking for longer than the task can sensibly wait is capped.
    assert.equal(
      retryDelayMs(429, { 'retry-after': '120' }, 1, () => 0),
      10_000,
    );
  });

  it('spreads retries without Retry-After over half to all of an exponential backoff', () => {
    assert.equal(
      retryDelayMs(503, undefined, 1, () => 0),
      125,
    );
    assert.equal(
      retryDelayMs(503, undefined, 3, () => 1),
      1000,
    );
  });

  it('retries throttling as often as AWS calls, a server error four times, nothing else', () => {
    assert.equal(retryDelayMs(404, undefined, 1), undefined);
    assert.equal(retryDelayMs(409, { 'retry-after': '1' }, 1), undefined);
    assert.notEqual(retryDelayMs(429, undefined, 7), undefined);
    assert.equal(retryDelayMs(429, undefined, 8), undefined);
    assert.notEqual(retryDelayMs(503, undefined, 3), undefined);
    assert.equal(retryDelayMs(503, undefined, 4), undefined);
  });

  it('caps the backoff, so the last retries of a throttled call stay within its budget', () => {
    assert.equal(
      retryDelayMs(429, undefined, 7, () => 1),
      5000,
    );
  });
});
