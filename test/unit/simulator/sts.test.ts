import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { SignatureV4 } from '@smithy/signature-v4';
import { Simulator } from '../../../local/simulator/server.ts';
import { callerSessionName, stsService } from '../../../local/simulator/services/sts.ts';
import { parseWorld, type WorldInput } from '../../../local/simulator/world.ts';

const account = '111122223333';
const credentials = { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' };

function world(caller: string, overrides: Partial<WorldInput> = {}): WorldInput {
  return { account, region: 'us-west-2', caller, ...overrides };
}

async function withSts(input: WorldInput, test: (sim: Simulator, sts: STSClient) => Promise<void>) {
  const sim = await new Simulator(parseWorld(JSON.stringify(input)), [stsService]).start();
  const sts = new STSClient({
    endpoint: sim.url,
    region: 'us-west-2',
    credentials,
    retryStrategy: new ConfiguredRetryStrategy(4, (attempt) => 5 * attempt),
  });
  try {
    await test(sim, sts);
  } finally {
    sts.destroy();
    await sim.close();
  }
}

describe('simulated STS GetCallerIdentity through @aws-sdk/client-sts', () => {
  it('answers a role caller as the session it assumed, as real STS does', async () => {
    await withSts(
      world(`arn:aws:iam::${account}:role/automation`, {
        roles: [{ name: 'automation', assumeRolePolicyDocument: { Statement: [] } }],
      }),
      async (sim, sts) => {
        const identity = await sts.send(new GetCallerIdentityCommand({}));
        assert.equal(identity.Account, account);
        assert.equal(
          identity.Arn,
          `arn:aws:sts::${account}:assumed-role/automation/${callerSessionName}`,
        );
        assert.equal(
          identity.UserId,
          `${sim.state.role('automation')?.roleId}:${callerSessionName}`,
        );
        assert.match(identity.UserId ?? '', /^AROA[A-Z0-9]{17}:eks-pia$/);
      },
    );
  });

  it('leaves the path out of the assumed-role ARN of a role under a path', async () => {
    await withSts(world(`arn:aws:iam::${account}:role/platform/automation`), async (_sim, sts) => {
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      assert.equal(
        identity.Arn,
        `arn:aws:sts::${account}:assumed-role/automation/${callerSessionName}`,
      );
    });
  });

  it('answers IAM users and assumed-role sessions as themselves', async () => {
    await withSts(world(`arn:aws:iam::${account}:user/alice`), async (_sim, sts) => {
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Arn, `arn:aws:iam::${account}:user/alice`);
      assert.match(identity.UserId ?? '', /^AIDA[A-Z0-9]{17}$/);
    });
    const session = `arn:aws:sts::${account}:assumed-role/admin/jane@example.com`;
    await withSts(world(session), async (_sim, sts) => {
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Arn, session);
      assert.match(identity.UserId ?? '', /^AROA[A-Z0-9]{17}:jane@example\.com$/);
    });
  });

  it('serves the presigned GET an EKS bearer token wraps, and logs it as a read', async () => {
    await withSts(world(`arn:aws:iam::${account}:role/automation`), async (sim) => {
      const url = new URL(sim.url);
      const signer = new SignatureV4({
        service: 'sts',
        region: 'us-west-2',
        sha256: Sha256,
        credentials,
      });
      const presigned = await signer.presign(
        new HttpRequest({
          method: 'GET',
          protocol: url.protocol,
          hostname: url.hostname,
          port: Number(url.port),
          path: '/',
          query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
          headers: { host: url.host, 'x-k8s-aws-id': 'demo' },
        }),
        { expiresIn: 60 },
      );
      const query = new URLSearchParams(presigned.query as Record<string, string>);
      const response = await fetch(`${sim.url}/?${query}`, { headers: { 'x-k8s-aws-id': 'demo' } });
      const body = await response.text();
      assert.equal(response.status, 200);
      assert.match(body, /<GetCallerIdentityResponse[^>]*><GetCallerIdentityResult>/);
      assert.ok(
        body.includes(
          `<Arn>arn:aws:sts::${account}:assumed-role/automation/${callerSessionName}</Arn>`,
        ),
      );
      assert.deepEqual(sim.calls, [
        { service: 'sts', operation: 'GetCallerIdentity', status: 200, mutating: false },
      ]);
    });
  });

  it('surfaces an injected fault with the error code as the exception name', async () => {
    await withSts(
      world(`arn:aws:iam::${account}:role/automation`, {
        behaviour: {
          faults: [
            {
              operation: 'sts:GetCallerIdentity',
              nth: 1,
              error: 'AccessDenied',
              message: 'denied',
            },
          ],
        },
      }),
      async (_sim, sts) => {
        await assert.rejects(
          sts.send(new GetCallerIdentityCommand({})),
          (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
            assert.equal(error.name, 'AccessDenied');
            assert.equal(error.message, 'denied');
            assert.equal(error.$metadata?.httpStatusCode, 403);
            return true;
          },
        );
        const identity = await sts.send(new GetCallerIdentityCommand({}));
        assert.equal(identity.Account, account, 'only the first call fails');
      },
    );
  });
});
