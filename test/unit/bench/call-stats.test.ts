import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callStats, markCalls } from '../../../bench/common.ts';
import type { CallRecord } from '../../../local/simulator/server.ts';

function call(api: string, status: number, mutating = false): CallRecord {
  const [service, operation] = api.split(':') as [CallRecord['service'], string];
  return { service, operation, status, mutating };
}

describe("the benches' call statistics", () => {
  it('count every request of the work whatever its answer, failed reads apart, throttled attempts and the run store apart', () => {
    const log = { calls: [call('eks:ListClusters', 200)], throttled: new Map<string, number>() };
    const mark = markCalls(log);
    log.calls.push(
      call('eks:DescribePodIdentityAssociation', 200),
      // Two stacks that do not exist, and an attempt a rate limit refused.
      call('cloudformation:DescribeStacks', 400),
      call('cloudformation:DescribeStacks', 400),
      call('cloudformation:DescribeStacks', 400),
      call('iam:CreateRole', 409, true),
      call('s3:GetObject', 404),
      call('events:PutEvents', 200, true),
    );
    log.throttled.set('cloudformation:DescribeStacks', 1);
    const stats = callStats(log, mark);
    assert.deepEqual(
      {
        reads: stats.reads,
        failedReads: stats.failedReads,
        writes: stats.writes,
        throttles: stats.throttles,
        bookkeeping: stats.bookkeeping,
        runStoreReads: stats.runStoreReads,
      },
      { reads: 3, failedReads: 2, writes: 1, throttles: 1, bookkeeping: 2, runStoreReads: 1 },
    );
    assert.deepEqual(stats.byOperation['cloudformation:DescribeStacks'], {
      calls: 2,
      failed: 2,
      throttled: 1,
    });
  });
});
