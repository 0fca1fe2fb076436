import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { eksBearerToken } from '../../../functions/aws/kubernetes.ts';
import { SIMULATED_CREDENTIALS, Simulator } from '../../../local/simulator/server.ts';
import { kubernetesService } from '../../../local/simulator/services/kubernetes.ts';
import { SNAPSHOTS_KEPT } from '../../../local/simulator/services/kubernetes-lists.ts';
import { parseWorld } from '../../../local/simulator/world.ts';

const CALLER = 'arn:aws:iam::111122223333:role/automation';
const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
const credentials = { ...SIMULATED_CREDENTIALS };

function world(policies: string): string {
  return `
account: "111122223333"
region: us-west-2
caller: ${CALLER}
clusters:
  - name: demo
    namespaces: [team-a]
    accessEntries:
      - principalArn: ${CALLER}
        policies: ${policies}
    serviceAccounts:
      - namespace: default
        name: s3-reader
        annotations:
          ${ROLE_ARN_ANNOTATION}: arn:aws:iam::111122223333:role/s3-reader
          eks.amazonaws.com/audience: sts.amazonaws.com
        labels: {app: reader}
        imagePullSecrets: [{name: regcred}]
        secrets: [{name: s3-reader-token}]
        automountServiceAccountToken: false
      - {namespace: default, name: default}
      - {namespace: team-a, name: api, labels: {app: api}}
      - {namespace: team-a, name: worker, labels: {app: worker}}
      - {namespace: team-b, name: batch}
      - {namespace: team-b, name: cron}
      - {namespace: kube-system, name: aws-node, annotations: {${ROLE_ARN_ANNOTATION}: arn:aws:iam::111122223333:role/cni}}
    pods:
      - {namespace: default, name: web-1, serviceAccount: s3-reader}
      - {namespace: default, name: web-2, serviceAccount: s3-reader}
      - {namespace: team-a, name: api-1, serviceAccount: api}
      - {namespace: team-b, name: batch-1, serviceAccount: batch}
      - {namespace: team-c, name: lonely}
  - name: other
    accessEntries: [{principalArn: ${CALLER}, policies: ${policies}}]
  - name: private
    kubernetesReachable: false
    accessEntries: [{principalArn: ${CALLER}, policies: ${policies}}]
`;
}

const CLUSTER_ADMIN =
  '[{policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy, scope: cluster}]';

async function start(policies = CLUSTER_ADMIN): Promise<Simulator> {
  return new Simulator(parseWorld(world(policies)), [kubernetesService]).start();
}

function tokenFor(sim: Simulator, clusterName: string, signingDate?: Date): Promise<string> {
  return eksBearerToken({
    clusterName,
    region: 'us-west-2',
    credentials,
    stsEndpoint: sim.url,
    ...(signingDate ? { signingDate } : {}),
  });
}

function coreApi(sim: Simulator, cluster: string, token: string | undefined): CoreV1Api {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: cluster, server: `${sim.url}/k8s/${cluster}`, skipTLSVerify: true }],
    users: [{ name: 'user', ...(token === undefined ? {} : { token }) }],
    contexts: [{ name: 'context', cluster, user: 'user' }],
    currentContext: 'context',
  });
  return kubeConfig.makeApiClient(CoreV1Api);
}

async function apiFor(sim: Simulator, cluster = 'demo'): Promise<CoreV1Api> {
  return coreApi(sim, cluster, await tokenFor(sim, cluster));
}

/** The HTTP status and Status reason of a rejected call. */
async function failure(
  call: Promise<unknown>,
): Promise<{ code: number; reason?: string; message?: string }> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof ApiException, `expected an ApiException, got ${String(error)}`);
    const body = typeof error.body === 'string' && error.body !== '' ? JSON.parse(error.body) : {};
    return { code: error.code, reason: body.reason, message: body.message };
  }
  assert.fail('the call succeeded');
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('simulated Kubernetes API: reading', () => {
  let sim: Simulator;
  let api: CoreV1Api;
  before(async () => {
    sim = await start();
    api = await apiFor(sim);
  });
  after(() => sim.close());

  it('pages a list from one snapshot, and answers 410 Expired once that snapshot is gone', async () => {
    const first = await api.listServiceAccountForAllNamespaces({ limit: 3 });
    const token = first.metadata?._continue;
    assert.ok(token);
    await api.createNamespacedServiceAccount({
      namespace: 'team-b',
      body: { metadata: { name: 'zz-late' } },
    });
    const rest = await api.listServiceAccountForAllNamespaces({ limit: 100, _continue: token });
    const names = [...first.items, ...rest.items].map((sa) => sa.metadata?.name);
    assert.equal(names.length, 7);
    assert.ok(!names.includes('zz-late'), 'created after the first page: not in this list');
    for (let list = 0; list < SNAPSHOTS_KEPT; list += 1) {
      await api.listServiceAccountForAllNamespaces({ limit: 1 });
    }
    const gone = await failure(
      api.listServiceAccountForAllNamespaces({ limit: 3, _continue: token }),
    );
    assert.equal(gone.code, 410);
    assert.equal(gone.reason, 'Expired');
    await api.deleteNamespacedServiceAccount({ namespace: 'team-b', name: 'zz-late' });
  });

  it('lists service accounts of all namespaces in pages that add up to the whole set', async () => {
    const names: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await api.listServiceAccountForAllNamespaces({ limit: 3, _continue: next });
      pages += 1;
      names.push(...page.items.map((sa) => `${sa.metadata?.namespace}/${sa.metadata?.name}`));
      next = page.metadata?._continue;
      if (next) assert.equal(page.metadata?.remainingItemCount, 7 - pages * 3);
    } while (next);
    assert.equal(pages, 3);
    assert.deepEqual(names, [
      'default/default',
      'default/s3-reader',
      'kube-system/aws-node',
      'team-a/api',
      'team-a/worker',
      'team-b/batch',
      'team-b/cron',
    ]);
  });

  it('lists one namespace and filters by label and field selectors', async () => {
    const teamA = await api.listNamespacedServiceAccount({ namespace: 'team-a' });
    assert.deepEqual(
      teamA.items.map((sa) => sa.metadata?.name),
      ['api', 'worker'],
    );
    const labelled = await api.listServiceAccountForAllNamespaces({
      labelSelector: 'app in (api,reader)',
    });
    assert.deepEqual(
      labelled.items.map((sa) => sa.metadata?.name),
      ['s3-reader', 'api'],
    );
    const named = await api.listServiceAccountForAllNamespaces({
      fieldSelector: 'metadata.name=cron',
    });
    assert.deepEqual(
      named.items.map((sa) => sa.metadata?.namespace),
      ['team-b'],
    );
    const unsupported = await failure(
      api.listServiceAccountForAllNamespaces({ fieldSelector: 'spec.x=y' }),
    );
    assert.equal(unsupported.code, 400);
  });

  it('gets one service account with all its fields and server metadata', async () => {
    const sa = await api.readNamespacedServiceAccount({ namespace: 'default', name: 's3-reader' });
    assert.equal(sa.kind, 'ServiceAccount');
    assert.equal(
      sa.metadata?.annotations?.[ROLE_ARN_ANNOTATION],
      'arn:aws:iam::111122223333:role/s3-reader',
    );
    assert.deepEqual(sa.metadata?.labels, { app: 'reader' });
    assert.deepEqual(
      sa.imagePullSecrets?.map((secret) => secret.name),
      ['regcred'],
    );
    assert.deepEqual(
      sa.secrets?.map((secret) => secret.name),
      ['s3-reader-token'],
    );
    assert.equal(sa.automountServiceAccountToken, false);
    assert.match(
      sa.metadata?.uid ?? '',
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    assert.match(sa.metadata?.resourceVersion ?? '', /^\d+$/);
    assert.ok(sa.metadata?.creationTimestamp instanceof Date);
  });

  it('answers 404 NotFound for a service account that does not exist', async () => {
    const missing = await failure(
      api.readNamespacedServiceAccount({ namespace: 'default', name: 'nope' }),
    );
    assert.deepEqual(missing, {
      code: 404,
      reason: 'NotFound',
      message: 'serviceaccounts "nope" not found',
    });
  });

  it('lists pods with the service account each runs as, across namespaces and in one', async () => {
    const names: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await api.listPodForAllNamespaces({ limit: 2, _continue: next });
      pages += 1;
      names.push(
        ...page.items.map(
          (pod) =>
            `${pod.metadata?.namespace}/${pod.metadata?.name}:${pod.spec?.serviceAccountName}`,
        ),
      );
      next = page.metadata?._continue;
    } while (next);
    assert.equal(pages, 3);
    assert.deepEqual(names, [
      'default/web-1:s3-reader',
      'default/web-2:s3-reader',
      'team-a/api-1:api',
      'team-b/batch-1:batch',
      'team-c/lonely:default',
    ]);
    const teamA = await api.listNamespacedPod({ namespace: 'team-a' });
    assert.deepEqual(
      teamA.items.map((pod) => pod.metadata?.name),
      ['api-1'],
    );
  });

  it('knows the built-in, listed and implied namespaces', async () => {
    const list = await api.listNamespace();
    assert.deepEqual(
      list.items.map((ns) => ns.metadata?.name),
      ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'team-a', 'team-b', 'team-c'],
    );
    const teamC = await api.readNamespace({ name: 'team-c' });
    assert.equal(teamC.status?.phase, 'Active');
    assert.equal((await failure(api.readNamespace({ name: 'team-z' }))).code, 404);
  });
});

describe('simulated Kubernetes API: writing', () => {
  it('merge patch removes one annotation and keeps every other field, and the dump shows it', async () => {
    const sim = await start();
    try {
      const api = await apiFor(sim);
      const before = await api.readNamespacedServiceAccount({
        namespace: 'default',
        name: 's3-reader',
      });
      const patched = await api.patchNamespacedServiceAccount(
        {
          namespace: 'default',
          name: 's3-reader',
          body: { metadata: { annotations: { [ROLE_ARN_ANNOTATION]: null } } },
        },
        mergePatch,
      );
      assert.deepEqual(patched.metadata?.annotations, {
        'eks.amazonaws.com/audience': 'sts.amazonaws.com',
      });
      assert.deepEqual(patched.metadata?.labels, { app: 'reader' });
      assert.deepEqual(
        patched.imagePullSecrets?.map((secret) => secret.name),
        ['regcred'],
      );
      assert.deepEqual(
        patched.secrets?.map((secret) => secret.name),
        ['s3-reader-token'],
      );
      assert.equal(patched.automountServiceAccountToken, false);
      assert.equal(patched.metadata?.uid, before.metadata?.uid);
      assert.ok(
        Number(patched.metadata?.resourceVersion) > Number(before.metadata?.resourceVersion),
      );

      const dumped = sim.dump().clusters[0]?.serviceAccounts.find((sa) => sa.name === 's3-reader');
      assert.deepEqual(dumped, {
        namespace: 'default',
        name: 's3-reader',
        annotations: { 'eks.amazonaws.com/audience': 'sts.amazonaws.com' },
        labels: { app: 'reader' },
        imagePullSecrets: [{ name: 'regcred' }],
        secrets: [{ name: 's3-reader-token' }],
        automountServiceAccountToken: false,
      });
    } finally {
      await sim.close();
    }
  });

  it('a patch that changes nothing keeps the resourceVersion', async () => {
    const sim = await start();
    try {
      const api = await apiFor(sim);
      const body = { metadata: { annotations: { 'not-there': null } } };
      const first = await api.patchNamespacedServiceAccount(
        { namespace: 'team-a', name: 'api', body },
        mergePatch,
      );
      const second = await api.patchNamespacedServiceAccount(
        { namespace: 'team-a', name: 'api', body },
        mergePatch,
      );
      assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion);
    } finally {
      await sim.close();
    }
  });

  it('JSON patch (the client default) follows ~1 escapes, and a failing test op changes nothing', async () => {
    const sim = await start();
    try {
      const api = await apiFor(sim);
      const path = '/metadata/annotations/eks.amazonaws.com~1role-arn';
      const failed = await failure(
        api.patchNamespacedServiceAccount({
          namespace: 'default',
          name: 's3-reader',
          body: [
            { op: 'test', path, value: 'arn:aws:iam::111122223333:role/someone-else' },
            { op: 'remove', path },
          ],
        }),
      );
      assert.equal(failed.code, 422);
      assert.equal(failed.reason, 'Invalid');
      const unchanged = await api.readNamespacedServiceAccount({
        namespace: 'default',
        name: 's3-reader',
      });
      assert.ok(unchanged.metadata?.annotations?.[ROLE_ARN_ANNOTATION]);

      const patched = await api.patchNamespacedServiceAccount({
        namespace: 'default',
        name: 's3-reader',
        body: [
          { op: 'test', path, value: 'arn:aws:iam::111122223333:role/s3-reader' },
          { op: 'remove', path },
          { op: 'add', path: '/metadata/labels/migrated', value: 'true' },
        ],
      });
      assert.equal(patched.metadata?.annotations?.[ROLE_ARN_ANNOTATION], undefined);
      assert.deepEqual(patched.metadata?.labels, { app: 'reader', migrated: 'true' });
      assert.deepEqual(
        patched.secrets?.map((secret) => secret.name),
        ['s3-reader-token'],
      );
    } finally {
      await sim.close();
    }
  });

  it('merges a strategic merge patch, and its secrets by name', async () => {
    const sim = await start();
    try {
      const api = await apiFor(sim);
      const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
      const patched = await api.patchNamespacedServiceAccount(
        {
          namespace: 'team-a',
          name: 'worker',
          body: {
            metadata: { labels: { tier: 'backend' } },
            secrets: [{ name: 'token-a' }, { name: 'token-b' }],
          },
        },
        strategic,
      );
      assert.deepEqual(patched.metadata?.labels, { app: 'worker', tier: 'backend' });
      const merged = await api.patchNamespacedServiceAccount(
        {
          namespace: 'team-a',
          name: 'worker',
          body: { secrets: [{ name: 'token-c' }, { name: 'token-a', $patch: 'delete' }] },
        },
        strategic,
      );
      assert.deepEqual(
        merged.secrets?.map((secret) => secret.name),
        ['token-b', 'token-c'],
      );
    } finally {
      await sim.close();
    }
  });

  it('refuses a patch or update based on a stale resourceVersion with 409 Conflict', async () => {
    const sim = await start();
    try {
      const api = await apiFor(sim);
      const read = await api.readNamespacedServiceAccount({ namespace: 'team-a', name: 'api' });
      const stale = read.metadata?.resourceVersion;
      await api.patchNamespacedServiceAccount(
        { namespace: 'team-a', name: 'api', body: { metadata: { labels: { v: '2' } } } },
        mergePatch,
      );
      const patch = await failure(
        api.patchNamespacedServiceAccount(
          {
            namespace: 'team-a',
            name: 'api',
            body: { metadata: { resourceVersion: stale, labels: { v: '3' } } },
          },
          mergePatch,
        ),
      );
      assert.equal(patch.code, 409);
      assert.equal(patch.reason, 'Conflict');
      const update = await failure(
        api.replaceNamespacedServiceAccount({
          namespace: 'team-a',
          name: 'api',
          body: { metadata: { name: 'api', resourceVersion: stale } },
        }),
      );
      assert.equal(update.code, 409);
    } finally {
      await sim.close();
    }
  });

  it('a full update replaces the object, dropping fields it does not send (what eksctl does)', async () => {
    const sim = await start();
    try {
      const api = await apiFor(sim);
      const updated = await api.replaceNamespacedServiceAccount({
        namespace: 'default',
        name: 's3-reader',
        body: { metadata: { name: 's3-reader', labels: { app: 'reader' } } },
      });
      assert.equal(updated.secrets, undefined);
      assert.equal(updated.metadata?.annotations, undefined);
      const dumped = sim.dump().clusters[0]?.serviceAccounts.find((sa) => sa.name === 's3-reader');
      assert.deepEqual(dumped, {
        namespace: 'default',
        name: 's3-reader',
        annotations: {},
        labels: { app: 'reader' },
      });
    } finally {
      await sim.close();
    }
  });

  it('creates service accounts and namespaces, with 409 for duplicates and 404 for a missing namespace', async () => {
    const sim = await start();
    try {
      const api = await apiFor(sim);
      const body = {
        metadata: { name: 'fresh', labels: { 'app.kubernetes.io/managed-by': 'eks-pia' } },
      };
      const missingNamespace = await failure(
        api.createNamespacedServiceAccount({ namespace: 'new-team', body }),
      );
      assert.deepEqual(missingNamespace, {
        code: 404,
        reason: 'NotFound',
        message: 'namespaces "new-team" not found',
      });

      const namespace = await api.createNamespace({ body: { metadata: { name: 'new-team' } } });
      assert.equal(namespace.metadata?.name, 'new-team');
      assert.equal(
        (await failure(api.createNamespace({ body: { metadata: { name: 'new-team' } } }))).reason,
        'AlreadyExists',
      );

      const created = await api.createNamespacedServiceAccount({ namespace: 'new-team', body });
      assert.equal(created.metadata?.namespace, 'new-team');
      assert.ok(created.metadata?.uid);
      const duplicate = await failure(
        api.createNamespacedServiceAccount({ namespace: 'new-team', body }),
      );
      assert.deepEqual(duplicate, {
        code: 409,
        reason: 'AlreadyExists',
        message: 'serviceaccounts "fresh" already exists',
      });
      const invalid = await failure(
        api.createNamespacedServiceAccount({
          namespace: 'new-team',
          body: { metadata: { name: 'Not_Valid' } },
        }),
      );
      assert.equal(invalid.code, 422);

      const dumped = sim.dump().clusters[0];
      assert.ok(dumped?.namespaces.includes('new-team'));
      assert.deepEqual(
        dumped?.serviceAccounts.find((sa) => sa.name === 'fresh'),
        {
          namespace: 'new-team',
          name: 'fresh',
          annotations: {},
          labels: { 'app.kubernetes.io/managed-by': 'eks-pia' },
        },
      );
    } finally {
      await sim.close();
    }
  });

  it('deletes a service account and keeps the namespace it implied', async () => {
    const sim = await start();
    try {
      const api = await apiFor(sim);
      await api.deleteNamespacedServiceAccount({ namespace: 'team-b', name: 'batch' });
      await api.deleteNamespacedServiceAccount({ namespace: 'team-b', name: 'cron' });
      assert.equal(
        (await failure(api.readNamespacedServiceAccount({ namespace: 'team-b', name: 'cron' })))
          .code,
        404,
      );
      assert.equal((await api.readNamespace({ name: 'team-b' })).metadata?.name, 'team-b');
      const dumped = sim.dump().clusters[0];
      assert.equal(
        dumped?.serviceAccounts.some((sa) => sa.namespace === 'team-b'),
        false,
      );
    } finally {
      await sim.close();
    }
  });

  it('logs each call with its verb and resource, and marks only writes as mutating', async () => {
    const sim = await start();
    try {
      const api = await apiFor(sim);
      await api.listServiceAccountForAllNamespaces();
      await api.readNamespacedServiceAccount({ namespace: 'default', name: 'default' });
      await api.createNamespacedServiceAccount({
        namespace: 'default',
        body: { metadata: { name: 'x' } },
      });
      await api.patchNamespacedServiceAccount(
        { namespace: 'default', name: 'x', body: { metadata: { labels: { a: 'b' } } } },
        mergePatch,
      );
      await api.deleteNamespacedServiceAccount({ namespace: 'default', name: 'x' });
      await api.readNamespace({ name: 'default' });
      await api.createNamespace({ body: { metadata: { name: 'made' } } });
      await api.listNamespace();
      await api.listPodForAllNamespaces();
      assert.deepEqual(
        sim.calls.map(({ service, operation, status, mutating }) => [
          service,
          operation,
          status,
          mutating,
        ]),
        [
          ['kubernetes', 'list serviceaccounts', 200, false],
          ['kubernetes', 'get serviceaccounts', 200, false],
          ['kubernetes', 'create serviceaccounts', 201, true],
          ['kubernetes', 'patch serviceaccounts', 200, true],
          ['kubernetes', 'delete serviceaccounts', 200, true],
          ['kubernetes', 'get namespaces', 200, false],
          ['kubernetes', 'create namespaces', 201, true],
          ['kubernetes', 'list namespaces', 200, false],
          ['kubernetes', 'list pods', 200, false],
        ],
      );
    } finally {
      await sim.close();
    }
  });
});

describe('simulated Kubernetes API: throttling', () => {
  it('gives each cluster its own token bucket, as each has its own API server, and says when to retry', async () => {
    const sim = await new Simulator(
      parseWorld(
        `${world(CLUSTER_ADMIN)}behaviour: {rateLimits: {"kubernetes:*": {rate: 0.01, burst: 2}}}\n`,
      ),
      [kubernetesService],
    ).start();
    const throttled = async (api: CoreV1Api) => {
      try {
        await api.listServiceAccountForAllNamespaces();
      } catch (error) {
        assert.ok(error instanceof ApiException, String(error));
        return { code: error.code, retryAfter: error.headers['retry-after'] };
      }
      assert.fail('the call was not throttled');
    };
    try {
      const demo = await apiFor(sim, 'demo');
      const other = await apiFor(sim, 'other');
      for (let call = 0; call < 2; call += 1) await demo.listServiceAccountForAllNamespaces();
      const refused = await throttled(demo);
      assert.equal(refused.code, 429);
      assert.match(refused.retryAfter ?? '', /^[1-9]\d*$/);
      // demo's bucket is empty; other's still holds its whole burst.
      for (let call = 0; call < 2; call += 1) await other.listServiceAccountForAllNamespaces();
      assert.equal((await throttled(other)).code, 429);
      assert.deepEqual(
        sim.calls.map((call) => call.status),
        [200, 200, 429, 200, 200, 429],
      );
    } finally {
      await sim.close();
    }
  });
});

describe('simulated Kubernetes API: authentication', () => {
  let sim: Simulator;
  before(async () => {
    sim = await start();
  });
  after(() => sim.close());

  const list = (api: CoreV1Api) => failure(api.listServiceAccountForAllNamespaces());

  it('answers 401 without a token and with a malformed one', async () => {
    assert.equal((await list(coreApi(sim, 'demo', undefined))).code, 401);
    assert.equal((await list(coreApi(sim, 'demo', 'k8s-aws-v1.not*base64'))).code, 401);
    const notAnStsUrl = `k8s-aws-v1.${Buffer.from('https://example.com/?Action=GetCallerIdentity').toString('base64url')}`;
    assert.equal((await list(coreApi(sim, 'demo', notAnStsUrl))).code, 401);
  });

  it('answers 401 for a token signed for another cluster, altered, or expired', async () => {
    assert.equal((await list(coreApi(sim, 'demo', await tokenFor(sim, 'other')))).code, 401);

    const url = new URL(
      Buffer.from(
        (await tokenFor(sim, 'demo')).slice('k8s-aws-v1.'.length),
        'base64url',
      ).toString(),
    );
    url.searchParams.set(
      'X-Amz-Credential',
      url.searchParams.get('X-Amz-Credential')?.replace('us-west-2', 'eu-west-1') ?? '',
    );
    const altered = `k8s-aws-v1.${Buffer.from(url.toString()).toString('base64url')}`;
    assert.equal((await list(coreApi(sim, 'demo', altered))).code, 401);

    const sixteenMinutesAgo = new Date(Date.now() - 16 * 60 * 1000);
    assert.equal(
      (await list(coreApi(sim, 'demo', await tokenFor(sim, 'demo', sixteenMinutesAgo)))).code,
      401,
    );
    const fourteenMinutesAgo = new Date(Date.now() - 14 * 60 * 1000);
    const stillValid = coreApi(sim, 'demo', await tokenFor(sim, 'demo', fourteenMinutesAgo));
    assert.ok((await stillValid.listServiceAccountForAllNamespaces()).items.length > 0);
  });

  it('answers 401 to a caller that has no access entry on the cluster', async () => {
    const noEntry = await new Simulator(
      parseWorld(
        world('[]').replace(
          /principalArn: .*automation/g,
          'principalArn: arn:aws:iam::111122223333:role/someone',
        ),
      ),
      [kubernetesService],
    ).start();
    try {
      assert.equal((await list(await apiFor(noEntry))).code, 401);
    } finally {
      await noEntry.close();
    }
  });

  it('resets the connection of a cluster whose endpoint is not reachable, and logs it as 503', async () => {
    const api = await apiFor(sim, 'private');
    await assert.rejects(
      api.listServiceAccountForAllNamespaces(),
      (error: Error & { code?: string }) => {
        assert.equal(error.name, 'FetchError');
        assert.equal(error.code, 'ECONNRESET');
        return true;
      },
    );
    assert.deepEqual(sim.calls.at(-1), {
      service: 'kubernetes',
      operation: 'list serviceaccounts',
      status: 503,
      mutating: false,
    });
  });
});

describe('simulated Kubernetes API: authorization by access policy', () => {
  it('lets a view-only caller read but answers 403 Forbidden to its patch', async () => {
    const sim = await start('[{policyArn: AmazonEKSViewPolicy, scope: cluster}]');
    try {
      const api = await apiFor(sim);
      assert.equal((await api.listServiceAccountForAllNamespaces()).items.length, 7);
      const denied = await failure(
        api.patchNamespacedServiceAccount(
          {
            namespace: 'default',
            name: 's3-reader',
            body: { metadata: { annotations: { [ROLE_ARN_ANNOTATION]: null } } },
          },
          mergePatch,
        ),
      );
      assert.deepEqual(denied, {
        code: 403,
        reason: 'Forbidden',
        message: `serviceaccounts "s3-reader" is forbidden: User "${CALLER}" cannot patch resource "serviceaccounts" in API group "" in the namespace "default"`,
      });
      assert.equal(
        sim.dump().clusters[0]?.serviceAccounts[0]?.annotations[ROLE_ARN_ANNOTATION] !== undefined,
        true,
      );
      assert.deepEqual(sim.calls.at(-1), {
        service: 'kubernetes',
        operation: 'patch serviceaccounts',
        status: 403,
        mutating: true,
      });
    } finally {
      await sim.close();
    }
  });

  it('limits namespace-scoped access to its namespaces and refuses cluster-wide lists', async () => {
    const sim = await start(
      '[{policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy, scope: {namespaces: [team-a]}}]',
    );
    try {
      const api = await apiFor(sim);
      assert.deepEqual(
        (await api.listNamespacedServiceAccount({ namespace: 'team-a' })).items.length,
        2,
      );
      await api.patchNamespacedServiceAccount(
        { namespace: 'team-a', name: 'api', body: { metadata: { labels: { x: 'y' } } } },
        mergePatch,
      );
      assert.equal((await api.readNamespace({ name: 'team-a' })).metadata?.name, 'team-a');

      const clusterWide = await failure(api.listServiceAccountForAllNamespaces());
      assert.equal(clusterWide.code, 403);
      assert.equal(
        clusterWide.message,
        `serviceaccounts is forbidden: User "${CALLER}" cannot list resource "serviceaccounts" in API group "" at the cluster scope`,
      );
      assert.equal(
        (await failure(api.listNamespacedServiceAccount({ namespace: 'team-b' }))).code,
        403,
      );
      assert.equal(
        (await failure(api.createNamespace({ body: { metadata: { name: 'more' } } }))).code,
        403,
      );
    } finally {
      await sim.close();
    }
  });
});
