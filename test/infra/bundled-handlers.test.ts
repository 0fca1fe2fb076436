/**
 * The Lambda bundles themselves, not the TypeScript the other tests import with tsx: a few tasks
 * are built with TaskFunction's esbuild options and plugins (infra/task-bundle.ts rewrites the
 * SDK's schema and error class modules and swaps yaml's build), imported, and run against the
 * simulator. Each bundle's SDK clients configure themselves from the environment, as in Lambda.
 * Together they cover the four wire protocols the tasks speak (EKS REST-JSON, S3 REST-XML, IAM
 * Query/XML through the bundled SDK) both ways, and modeled errors of each.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { handler as getAssociationsSource } from '../../functions/associations/get-associations/handler.ts';
import { handler as loadAssociationRequestSource } from '../../functions/associations/load-association-request/handler.ts';
import { handler as readAssociationConfigSource } from '../../functions/associations/read-association-config/handler.ts';
import { handlerEntry } from '../../functions/core/workflow-files.ts';
import { handler as checkClusterReadinessSource } from '../../functions/shared/check-cluster-readiness/handler.ts';
import { FUNCTIONS_DIR } from '../../infra/paths.ts';
import { buildTaskBundles } from '../../infra/task-bundle.ts';
import { configBucketName, connectToSimulator } from '../../local/runner/simulated-aws.ts';
import { parseWorld, type Simulator, startSimulator } from '../../local/simulator/index.ts';

const ACCOUNT = '111122223333';
const TASKS = [
  'check-cluster-readiness',
  'get-associations',
  'find-oidc-provider',
  'read-association-config',
  'load-association-request',
] as const;
const BUCKET = configBucketName(ACCOUNT);

// Comments, an anchor and a merge key: read by the yaml package's ES module build in the bundle.
const CONFIG_YAML = `# created from a test
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: demo, region: us-west-2}
iam:
  podIdentityAssociations:
    - &reader
      namespace: default
      serviceAccountName: s3-reader
      permissionPolicyARNs: [arn:aws:iam::${ACCOUNT}:policy/permission-policy-1]
    - <<: *reader
      serviceAccountName: s3-writer
`;
type Handler = (event: unknown, context: Context) => Promise<unknown>;

const context = {
  functionName: 'bundled',
  invokedFunctionArn: `arn:aws:lambda:us-west-2:${ACCOUNT}:function:bundled`,
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const world = {
  account: ACCOUNT,
  region: 'us-west-2',
  caller: `arn:aws:iam::${ACCOUNT}:role/automation`,
  roles: [
    {
      name: 'automation',
      path: '/',
      assumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
    },
  ],
  // The policy the config attaches: the guardrails refuse one IAM does not have.
  managedPolicies: [`arn:aws:iam::${ACCOUNT}:policy/permission-policy-1`],
  clusters: [
    {
      name: 'demo',
      addons: [{ name: 'eks-pod-identity-agent', version: 'v1.3.4-eksbuild.1' }],
      podIdentityAssociations: [
        { namespace: 'apps', serviceAccount: 'reader', roleArn: `arn:aws:iam::${ACCOUNT}:role/r1` },
        { namespace: 'apps', serviceAccount: 'writer', roleArn: `arn:aws:iam::${ACCOUNT}:role/r2` },
      ],
    },
  ],
  buckets: [
    {
      name: BUCKET,
      objects: {
        'configs/demo.yaml': CONFIG_YAML,
        'configs/broken.yaml': 'metadata: {name: demo\niam: [',
        'runs/run-1/request.json': JSON.stringify({
          clusterName: 'demo',
          region: 'us-west-2',
          operation: 'get',
          partition: 'aws',
          account: ACCOUNT,
          dryRun: false,
          prune: false,
          source: { kind: 'flags' },
          entries: [],
          warnings: [],
          filter: { namespace: 'apps' },
        }),
      },
    },
  ],
  behaviour: {
    faults: [
      {
        operation: 'iam:ListOpenIDConnectProviders',
        nth: 1,
        error: 'NoSuchEntity',
        message: 'injected: no such provider',
      },
    ],
  },
};

describe('Lambda bundles against the simulator', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'eks-pia-bundled-'));
  const bundled = new Map<string, Handler>();
  let sim: Simulator;
  let previousEnv: NodeJS.ProcessEnv;
  let disconnect: () => void;

  before(async () => {
    await buildTaskBundles(
      Object.fromEntries(TASKS.map((task) => [task, handlerEntry(FUNCTIONS_DIR, task)])),
      outdir,
      { logLevel: 'error' },
    );
    sim = await startSimulator(parseWorld(JSON.stringify(world)));
    previousEnv = { ...process.env };
    // What the bundles read, as Lambda gives it (plus the simulator's endpoint); the TypeScript
    // handlers compared with them are pointed at the same simulator.
    Object.assign(process.env, sim.env(), { CONFIG_BUCKET: BUCKET });
    disconnect = connectToSimulator(sim);
    for (const task of TASKS) {
      const module = (await import(pathToFileURL(path.join(outdir, `${task}.mjs`)).href)) as {
        handler: Handler;
      };
      bundled.set(task, module.handler);
    }
  });

  after(async () => {
    disconnect();
    process.env = previousEnv;
    await sim.close();
    rmSync(outdir, { recursive: true, force: true });
  });

  function run(task: (typeof TASKS)[number], event: unknown): Promise<unknown> {
    const handler = bundled.get(task);
    assert.ok(handler, `${task} was bundled`);
    return handler(event, context);
  }

  it('check-cluster-readiness reads a cluster and its add-on over EKS REST-JSON as the source does', async () => {
    const event = { clusterName: 'demo', region: 'us-west-2', operation: 'create', entryCount: 1 };
    const result = await run('check-cluster-readiness', event);
    assert.deepEqual(result, await checkClusterReadinessSource(event, context));
    assert.equal((result as { agentInstalled?: unknown }).agentInstalled, true);
  });

  it("check-cluster-readiness turns EKS's modeled ResourceNotFoundException into ClusterNotFoundError", async () => {
    const since = sim.calls.length;
    await assert.rejects(
      run('check-cluster-readiness', {
        clusterName: 'absent',
        region: 'us-west-2',
        operation: 'create',
      }),
      (error: Error) => {
        assert.equal(error.name, 'ClusterNotFoundError');
        assert.match(error.message, /cluster "absent" does not exist/);
        return true;
      },
    );
    const calls = sim.calls.slice(since).map((call) => [call.operation, call.status]);
    assert.deepEqual(calls, [['DescribeCluster', 404]]);
  });

  // zod's mini build words issues only with a locale loaded, which functions/core/zod.ts does. Every
  // copy of zod in a process shares one locale, and the simulator's has set it here, so the bundle
  // runs alone in a process of its own, as in Lambda.
  it('check-cluster-readiness refuses a malformed input in zod English words, alone in its process', async () => {
    const event = { clusterName: 42, region: 'us-west-2', operation: 'create', entryCount: 0.5 };
    const bundle = pathToFileURL(path.join(outdir, 'check-cluster-readiness.mjs')).href;
    const script = [
      `const { handler } = await import(${JSON.stringify(bundle)});`,
      `await handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 60000 }).then(`,
      "  () => console.log('accepted'),",
      "  (error) => console.log(error.name + ': ' + error.message),",
      ');',
    ].join('\n');
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...previousEnv, POWERTOOLS_LOG_LEVEL: 'SILENT' },
    }).toString();
    const expected =
      'InvalidTaskInputError: check-cluster-readiness: invalid input: ' +
      'clusterName: Invalid input: expected string, received number; ' +
      'entryCount: Invalid input: expected int, received number';
    assert.equal(output.trim(), expected);
    await assert.rejects(checkClusterReadinessSource(event, context), (error: Error) => {
      assert.equal(`${error.name}: ${error.message}`, expected);
      return true;
    });
  });

  it('get-associations lists and describes over EKS and reads S3 as the source does', async () => {
    const since = sim.calls.length;
    const result = await run('get-associations', { runId: 'run-1' });
    const operations = new Set(sim.calls.slice(since).map((call) => call.operation));
    for (const operation of ['GetObject', 'ListPodIdentityAssociations']) {
      assert.ok(operations.has(operation), `${operation} was called`);
    }
    assert.deepEqual(result, await getAssociationsSource({ runId: 'run-1' }, context));
    assert.match(JSON.stringify(result), /writer/);
  });

  it("get-associations turns S3's modeled NoSuchKey into RunDocumentMissingError", async () => {
    await assert.rejects(run('get-associations', { runId: 'no-such-run' }), {
      name: 'RunDocumentMissingError',
    });
  });

  function bucketObjects(): Record<string, string> {
    const bucket = sim.state.world.buckets.find((candidate) => candidate.name === BUCKET);
    assert.ok(bucket, `${BUCKET} is in the world`);
    return bucket.objects;
  }

  it('read-association-config reads a YAML config from S3 and seals the validated config; load-association-request builds the request from it with the account of its function ARN; both as the source does', async () => {
    const event = (key: string) => ({
      runId: 'run-2',
      input: { operation: 'create', config: { s3: { bucket: BUCKET, key } } },
    });
    const since = sim.calls.length;
    const read = await run('read-association-config', event('configs/demo.yaml'));
    const sealed = bucketObjects()['runs/run-2/config.json'];
    assert.match(sealed ?? '', /s3-writer/);
    assert.deepEqual(read, await readAssociationConfigSource(event('configs/demo.yaml'), context));
    assert.equal(bucketObjects()['runs/run-2/config.json'], sealed);

    // As the workflow passes them: the execution's input, and what read-association-config returned.
    const loadEvent = { ...event('configs/demo.yaml'), ...(read as object) };
    const result = await run('load-association-request', loadEvent);
    const operations = sim.calls.slice(since).map((call) => `${call.operation} ${call.status}`);
    for (const call of ['GetObject 200', 'PutObject 200']) {
      assert.ok(operations.includes(call), `${call} in ${operations.join(', ')}`);
    }
    assert.ok(!operations.includes('GetCallerIdentity 200'), 'no STS call for the account');
    const stored = bucketObjects()['runs/run-2/request.json'];
    assert.match(stored ?? '', /s3-writer/);
    assert.deepEqual(result, await loadAssociationRequestSource(loadEvent, context));
    assert.equal(bucketObjects()['runs/run-2/request.json'], stored);

    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => assert.fail('the broken config was accepted'),
        (error: Error) => ({ name: error.name, message: error.message }),
      );
    const bundledFailure = await failure(
      run('read-association-config', event('configs/broken.yaml')),
    );
    assert.match(bundledFailure.message, /YAML syntax error at line/);
    assert.deepEqual(
      bundledFailure,
      await failure(readAssociationConfigSource(event('configs/broken.yaml'), context)),
    );

    // Someone with write access to the bucket swaps the validated config for another.
    bucketObjects()['runs/run-2/config.json'] = (sealed ?? '').replace('s3-writer', 'admin');
    assert.deepEqual(await failure(run('load-association-request', loadEvent)), {
      name: 'RunDocumentChangedError',
      message: `run document s3://${BUCKET}/runs/run-2/config.json was changed since the step that checked it sealed it (its SHA-256 differs), so the checks made on it no longer hold; start a new run`,
    });
  });

  it("find-oidc-provider surfaces IAM's modeled NoSuchEntity error from Query/XML", async () => {
    await assert.rejects(
      run('find-oidc-provider', { clusterName: 'demo', oidcIssuer: 'https://oidc.example/id/1' }),
      (error: Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, 'NoSuchEntityException');
        assert.equal(error.message, 'injected: no such provider');
        assert.equal(error.$fault, 'client');
        assert.equal(error.$metadata?.httpStatusCode, 404);
        return true;
      },
    );
  });
});
