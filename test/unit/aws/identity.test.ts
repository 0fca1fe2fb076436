import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { callerIdentity } from '../../../functions/aws/identity.ts';
import { ACCOUNT, POD_IDENTITY_TRUST, type Simulated, simulate } from './simulated.ts';

function worldWith(caller: string, roles: { name: string; path: string }[]): object {
  return {
    account: ACCOUNT,
    region: 'us-west-2',
    caller,
    roles: roles.map((role) => ({ ...role, assumeRolePolicyDocument: POD_IDENTITY_TRUST })),
  };
}

describe('callerIdentity', () => {
  let simulated: Simulated;
  afterEach(async () => {
    await simulated.stop();
  });

  it("maps an assumed-role session to the role's IAM ARN", async () => {
    simulated = await simulate(
      worldWith(`arn:aws:iam::${ACCOUNT}:role/automation`, [{ name: 'automation', path: '/' }]),
    );

    assert.deepEqual(await callerIdentity(), {
      account: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/automation/eks-pia`,
      principalArn: `arn:aws:iam::${ACCOUNT}:role/automation`,
    });
  });

  it('keeps the path of a role whose session ARN leaves it out', async () => {
    simulated = await simulate(
      worldWith(`arn:aws:iam::${ACCOUNT}:role/platform/automation/runner`, [
        { name: 'runner', path: '/platform/automation/' },
      ]),
    );

    const identity = await callerIdentity();

    assert.equal(identity.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/runner/eks-pia`);
    assert.equal(identity.principalArn, `arn:aws:iam::${ACCOUNT}:role/platform/automation/runner`);
  });

  it('uses an IAM user as it is, without asking IAM', async () => {
    simulated = await simulate(worldWith(`arn:aws:iam::${ACCOUNT}:user/ops/alice`, []));

    const identity = await callerIdentity();

    assert.equal(identity.principalArn, `arn:aws:iam::${ACCOUNT}:user/ops/alice`);
    assert.deepEqual(
      simulated.sim.calls.map((call) => call.operation),
      ['GetCallerIdentity'],
    );
  });

  it('asks once per configured credentials and again after the clients are pointed elsewhere', async () => {
    simulated = await simulate(
      worldWith(`arn:aws:iam::${ACCOUNT}:role/automation`, [{ name: 'automation', path: '/' }]),
    );
    await Promise.all([callerIdentity(), callerIdentity()]);
    await callerIdentity();
    assert.equal(simulated.callsSince(0, 'GetCallerIdentity').length, 1);
    await simulated.stop();

    simulated = await simulate(
      worldWith(`arn:aws:iam::${ACCOUNT}:role/teams/other`, [{ name: 'other', path: '/teams/' }]),
    );
    assert.equal((await callerIdentity()).principalArn, `arn:aws:iam::${ACCOUNT}:role/teams/other`);
  });
});
