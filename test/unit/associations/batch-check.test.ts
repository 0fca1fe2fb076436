import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PREPARED_ASSOCIATIONS_BYTES,
  preparedAssociations,
} from '../../../functions/core/associations/batch-check.ts';
import { jsonBytes } from '../../../functions/core/run-output.ts';
import { association } from './fixtures.ts';

describe('preparedAssociations', () => {
  it('hands apply every association that fits in the state, in order, and leaves it the rest to describe', () => {
    // A session policy may take 2,048 characters: 50 of them would not fit in the state's room.
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [] }).padEnd(2048, ' ');
    const batch = Array.from({ length: 50 }, (_, index) =>
      association({ serviceAccount: `app-${index}`, associationId: `a-${index}`, policy }),
    );
    const kept = preparedAssociations(batch);
    assert.ok(kept.length > 0 && kept.length < batch.length, `${kept.length} kept`);
    assert.deepEqual(kept, batch.slice(0, kept.length));
    assert.ok(jsonBytes(kept) <= PREPARED_ASSOCIATIONS_BYTES + kept.length + 1);
    const small = batch.map(({ policy: _policy, ...rest }) => rest);
    assert.deepEqual(preparedAssociations(small), small);
  });
});
