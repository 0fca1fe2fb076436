import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ClusterCreationFailedError,
  clusterProgress,
} from '../../../functions/core/bootstrap/cluster-status.ts';

describe('clusterProgress', () => {
  it('is active for ACTIVE and keeps waiting through the transitional statuses', () => {
    assert.equal(clusterProgress('demo', 'us-west-2', 'ACTIVE'), 'active');
    for (const status of ['CREATING', 'PENDING', 'UPDATING']) {
      assert.equal(clusterProgress('demo', 'us-west-2', status), 'waiting', status);
    }
  });

  it('ends the wait with the status for a cluster that will never become ACTIVE', () => {
    for (const [status, message] of [
      ['FAILED', /cluster "demo" in us-west-2 is FAILED and will not become ACTIVE/],
      ['DELETING', /is DELETING: it was deleted before it became ACTIVE/],
      ['SOMETHING_NEW', /is SOMETHING_NEW and will not become ACTIVE/],
    ] as const) {
      assert.throws(
        () => clusterProgress('demo', 'us-west-2', status),
        (error: unknown) =>
          error instanceof ClusterCreationFailedError &&
          error.status === status &&
          message.test(error.message),
      );
    }
  });
});
