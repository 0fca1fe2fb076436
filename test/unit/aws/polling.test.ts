import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Context } from 'aws-lambda';
import { defineTask } from '../../../functions/aws/lambda.ts';
import { configurePolling, waitDeadline } from '../../../functions/aws/polling.ts';
import * as z from '../../../functions/core/zod.ts';

/** Runs `probe` inside a task invocation whose Lambda has `remainingMs` left. */
async function insideInvocation<T>(remainingMs: number, probe: () => T): Promise<T> {
  const task = defineTask('probe', { input: z.object({}), output: z.unknown() }, async () =>
    probe(),
  );
  return task({}, {
    getRemainingTimeInMillis: () => remainingMs,
  } as unknown as Context) as Promise<T>;
}

describe('waits on AWS operations', () => {
  afterEach(() => configurePolling());

  it('end 30 s before the invocation times out, however long the configured wait', async () => {
    configurePolling({ maxWaitMs: 10 * 60_000, settleWaitMs: 3 * 60_000 });
    const start = Date.now();
    const deadlines = await insideInvocation(100_000, () => ({
      own: waitDeadline('own-operation'),
      settle: waitDeadline('settle'),
    }));
    for (const deadline of [deadlines.own, deadlines.settle]) {
      assert.ok(deadline <= start + 70_000 + 50, `${deadline - start} ms after the start`);
      assert.ok(deadline >= start + 69_000, `${deadline - start} ms after the start`);
    }
  });

  it('keep their own bound when the invocation has time to spare', async () => {
    configurePolling({ maxWaitMs: 20_000, settleWaitMs: 5_000 });
    const start = Date.now();
    const { own, settle } = await insideInvocation(900_000, () => ({
      own: waitDeadline('own-operation'),
      settle: waitDeadline('settle'),
    }));
    assert.ok(own - start >= 19_900 && own - start <= 20_100, `${own - start}`);
    assert.ok(settle - start >= 4_900 && settle - start <= 5_100, `${settle - start}`);
  });

  it('end by the deadline of their own invocation when invocations run at once in one process', async () => {
    // As the local runner's simulated instances do: the second starts while the first waits.
    configurePolling({ maxWaitMs: 10 * 60_000, settleWaitMs: 10 * 60_000 });
    let secondStarted = () => {};
    const started = new Promise<void>((resolve) => {
      secondStarted = resolve;
    });
    const start = Date.now();
    const [first, second] = await Promise.all([
      insideInvocation(100_000, async () => {
        await started;
        return waitDeadline('settle');
      }),
      insideInvocation(400_000, () => {
        secondStarted();
        return waitDeadline('settle');
      }),
    ]);
    assert.ok(Math.abs(first - (start + 70_000)) <= 1_000, `${first - start} ms after the start`);
    assert.ok(
      Math.abs(second - (start + 370_000)) <= 1_000,
      `${second - start} ms after the start`,
    );
  });
});
