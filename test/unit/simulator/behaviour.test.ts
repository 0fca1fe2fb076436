import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeClusterCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { parseWorld, startSimulator, WorldFileError } from '../../../local/simulator/index.ts';

const WORLD = `
account: "111122223333"
region: us-west-2
caller: arn:aws:iam::111122223333:role/automation
clusters: [{name: demo}]
`;

const credentials = { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated' };

describe('simulator behaviour', () => {
  it('adds the configured latency to every call', async () => {
    const sim = await startSimulator(parseWorld(`${WORLD}behaviour: {latencyMs: 60}\n`));
    const eks = new EKSClient({ endpoint: sim.url, region: 'us-west-2', credentials });
    try {
      const started = performance.now();
      await eks.send(new DescribeClusterCommand({ name: 'demo' }));
      assert.ok(performance.now() - started >= 60);
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('applies a service-wide rate limit and counts the throttled calls', async () => {
    const sim = await startSimulator(parseWorld(`${WORLD}behaviour: {rateLimits: {"eks:*": 2}}\n`));
    const eks = new EKSClient({
      endpoint: sim.url,
      region: 'us-west-2',
      credentials,
      retryStrategy: new ConfiguredRetryStrategy(1),
    });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => eks.send(new DescribeClusterCommand({ name: 'demo' }))),
      );
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 2);
      assert.equal(sim.throttled.get('eks:DescribeCluster'), 3);
      assert.deepEqual(sim.calls.map((call) => call.status).sort(), [200, 200, 429, 429, 429]);
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('keeps burst and refill apart, accepts rates below one a second and says when to retry', async () => {
    const sim = await startSimulator(
      parseWorld(
        `${WORLD}behaviour: {rateLimits: {"eks:DescribeCluster": {rate: 0.5, burst: 3}, "eks:ListClusters": 0.25}}\n`,
      ),
    );
    const eks = new EKSClient({
      endpoint: sim.url,
      region: 'us-west-2',
      credentials,
      maxAttempts: 1,
    });
    const retryAfter = async (call: Promise<unknown>) => {
      try {
        await call;
      } catch (error) {
        const response = (
          error as { $response?: { statusCode: number; headers: Record<string, string> } }
        ).$response;
        assert.equal(response?.statusCode, 429);
        return response?.headers['retry-after'];
      }
      assert.fail('the call was not throttled');
    };
    try {
      // A burst of 3 at once, though only one token comes back every 2 s.
      for (let call = 0; call < 3; call += 1) {
        await eks.send(new DescribeClusterCommand({ name: 'demo' }));
      }
      assert.equal(await retryAfter(eks.send(new DescribeClusterCommand({ name: 'demo' }))), '2');
      // A rate of 0.25 a second still lets one call through, then asks for 4 s.
      await eks.send(new ListClustersCommand({}));
      assert.equal(await retryAfter(eks.send(new ListClustersCommand({}))), '4');
    } finally {
      eks.destroy();
      await sim.close();
    }
  });

  it('keeps events put on EventBridge and does not count them as changes', async () => {
    const sim = await startSimulator(parseWorld(WORLD));
    const events = new EventBridgeClient({ endpoint: sim.url, region: 'us-west-2', credentials });
    try {
      const result = await events.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'eks-pod-identity-automation',
              DetailType: 'Run Completed',
              Detail: '{"ok":true}',
            },
          ],
        }),
      );
      assert.equal(result.FailedEntryCount, 0);
      assert.deepEqual(sim.state.events, [
        {
          source: 'eks-pod-identity-automation',
          detailType: 'Run Completed',
          detail: { ok: true },
          eventBusName: 'default',
        },
      ]);
      assert.deepEqual(sim.mutatingCalls(), []);
    } finally {
      events.destroy();
      await sim.close();
    }
  });

  it('refuses a PutEvents call whose entries reach 1 MiB, measured as AWS measures entries', async () => {
    const sim = await startSimulator(parseWorld(WORLD));
    const events = new EventBridgeClient({ endpoint: sim.url, region: 'us-west-2', credentials });
    // Source 4 bytes, DetailType 4, Time 14, a resource 8: 30 bytes besides the detail. The detail
    // holds two-byte characters, so only a count of UTF-8 bytes (not of characters) reaches 1 MiB.
    const entry = (detailBytes: number) => ({
      Source: 'test',
      DetailType: 'Done',
      Time: new Date('2026-01-01T00:00:00Z'),
      Resources: ['arn:x:y'.padEnd(8, 'z')],
      Detail: `{"a":"${'é'.repeat((detailBytes - 8) / 2)}"}`,
    });
    const half = 512 * 1024;
    try {
      const fits = await events.send(
        new PutEventsCommand({ Entries: [entry(half - 30), entry(half - 30 - 2)] }),
      );
      assert.equal(fits.FailedEntryCount, 0);
      assert.equal(sim.state.events.length, 2);
      await assert.rejects(
        events.send(new PutEventsCommand({ Entries: [entry(half - 30), entry(half - 30)] })),
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(error.name, 'ValidationException');
          assert.equal(
            error.message,
            'Total size of the entries in the request is over the limit.',
          );
          assert.equal(error.$metadata?.httpStatusCode, 400);
          return true;
        },
      );
      // One entry over the limit on its own fails the same way, and nothing of a refused call is kept.
      await assert.rejects(events.send(new PutEventsCommand({ Entries: [entry(2 * half)] })), {
        name: 'ValidationException',
      });
      assert.equal(sim.state.events.length, 2);
    } finally {
      events.destroy();
      await sim.close();
    }
  });

  it('explains every problem of a bad world file', () => {
    const bad = `
account: "1234"
region: us-west-2
caller: arn:aws:iam::111122223333:role/automation
clusters: [{name: demo}, {name: demo}]
roles: [{name: a, assumeRolePolicyDocument: {}}]
stacks: [{name: s, roles: [missing]}]
`;
    assert.throws(
      () => parseWorld(bad, 'bad.yaml'),
      (error: unknown) => {
        assert.ok(error instanceof WorldFileError);
        assert.match(error.message, /^bad\.yaml is not a valid simulator world:/);
        assert.match(error.message, /account: must be a 12-digit AWS account id/);
        return true;
      },
    );
    const dangling = bad.replace('"1234"', '"111122223333"');
    assert.throws(
      () => parseWorld(dangling, 'bad.yaml'),
      (error: unknown) => {
        assert.ok(error instanceof WorldFileError);
        assert.match(error.message, /cluster "demo" appears twice/);
        assert.match(error.message, /stack "s" names role "missing", which is not in roles/);
        return true;
      },
    );
    assert.throws(() => parseWorld('a: [', 'broken.yaml'), /broken\.yaml: not valid YAML or JSON/);
  });
});
