import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import { type SimulatedRun, simulate } from './harness.ts';

function world({
  autoMode = false,
  behaviour = '{}',
  addons = '[]',
  status = 'ACTIVE',
} = {}): string {
  return `
account: "111122223333"
region: us-west-2
caller: arn:aws:iam::111122223333:role/automation
clusters:
  - name: demo
    status: ${status}
    version: "1.31"
    autoMode: ${autoMode}
    addons: ${addons}
behaviour: ${behaviour}
`;
}

describe('ensure-addon workflow', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('installs the default agent version, waits for ACTIVE and reports it', async () => {
    sim = await simulate(world({ behaviour: '{addonDescribesUntilSettled: 3}' }));
    const report = await sim.run('ensure-addon', { clusterName: 'demo' });
    assert.deepEqual(report, {
      workflow: 'ensure-addon',
      clusterName: 'demo',
      addonName: 'eks-pod-identity-agent',
      status: 'ACTIVE',
      version: 'v1.3.4-eksbuild.1',
      autoMode: false,
      reason: 'status ACTIVE',
      created: true,
    });
    assert.deepEqual(sim.mutatingSince(0), ['eks:CreateAddon']);
    const describes = sim.simulator.calls.filter((call) => call.operation === 'DescribeAddon');
    assert.ok(describes.length >= 4, 'the workflow polled until the add-on settled');
    assert.equal(sim.simulator.dump().clusters[0]?.addons[0]?.status, 'ACTIVE');
  });

  it('changes nothing when run again', async () => {
    sim = await simulate(world());
    await sim.run('ensure-addon', { clusterName: 'demo' });
    const mark = sim.simulator.calls.length;
    const report = (await sim.run('ensure-addon', { clusterName: 'demo' })) as { created: boolean };
    assert.equal(report.created, false);
    assert.deepEqual(sim.mutatingSince(mark), []);
  });

  it('counts EKS Auto Mode as having the agent and installs nothing', async () => {
    sim = await simulate(world({ autoMode: true }));
    const report = (await sim.run('ensure-addon', { clusterName: 'demo' })) as {
      reason: string;
      created: boolean;
    };
    assert.equal(report.reason, 'built into EKS Auto Mode');
    assert.equal(report.created, false);
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('survives throttling beyond what the SDK retries absorb, through the ASL Retry', async () => {
    // Ten throttled DescribeAddon calls exhaust one task invocation's SDK retries (8 attempts).
    sim = await simulate(
      world({
        behaviour:
          '{faults: [{operation: "eks:DescribeAddon", nth: 1, times: 10, error: ThrottlingException}]}',
      }),
    );
    const progress: string[] = [];
    const report = (await sim.run(
      'ensure-addon',
      { clusterName: 'demo' },
      { onProgress: (line) => progress.push(line) },
    )) as {
      status: string;
    };
    assert.equal(report.status, 'ACTIVE');
    const throttled = sim.simulator.calls.filter(
      (call) => call.operation === 'DescribeAddon' && call.status === 429,
    );
    assert.equal(throttled.length, 10);
    assert.ok(
      progress.some((line) => line.startsWith('Check Add-on: retrying after ThrottlingException')),
      progress.join('\n'),
    );
  });

  it('survives a rate limit on the add-on calls', async () => {
    sim = await simulate(
      world({ behaviour: '{rateLimits: {"eks:DescribeAddon": 3}, addonDescribesUntilSettled: 4}' }),
    );
    const report = (await sim.run('ensure-addon', { clusterName: 'demo' })) as { status: string };
    assert.equal(report.status, 'ACTIVE');
  });

  it('fails clearly when the add-on settles as CREATE_FAILED', async () => {
    sim = await simulate(
      world({ behaviour: '{addonSettlesAs: {eks-pod-identity-agent: CREATE_FAILED}}' }),
    );
    await assert.rejects(sim.run('ensure-addon', { clusterName: 'demo' }), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.error, 'AddonFailedError');
      assert.equal(error.state, 'Poll Add-on');
      assert.match(error.cause, /"eks-pod-identity-agent" on cluster "demo" is CREATE_FAILED/);
      return true;
    });
  });

  it('fails with ClusterNotFoundError for an unknown cluster, changing nothing', async () => {
    sim = await simulate(world());
    await assert.rejects(
      sim.run('ensure-addon', { clusterName: 'nope' }),
      (error: unknown) =>
        error instanceof WorkflowFailedError && error.error === 'ClusterNotFoundError',
    );
    assert.deepEqual(sim.mutatingSince(0), []);
  });

  it('gives up with AddonWaitTimeout when the add-on never settles', async () => {
    sim = await simulate(world({ behaviour: '{addonDescribesUntilSettled: 1000}' }));
    await assert.rejects(
      sim.run('ensure-addon', { clusterName: 'demo' }),
      (error: unknown) =>
        error instanceof WorkflowFailedError && error.error === 'AddonWaitTimeout',
    );
  });
});
