import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NamedError, namedErrorClass, orIfThrown } from '../../functions/core/errors.ts';

describe('namedErrorClass', () => {
  it('makes a NamedError whose name survives minification and tells classes apart', () => {
    const Gone = namedErrorClass('GoneError');
    const Taken = namedErrorClass('TakenError');
    const error = new Gone('role x no longer exists');
    assert.equal(error instanceof NamedError, true);
    assert.equal(error instanceof Gone, true);
    assert.equal(error instanceof Taken, false);
    assert.equal(error.name, 'GoneError');
    assert.equal(String(error), 'GoneError: role x no longer exists');
  });
});

describe('orIfThrown', () => {
  const Missing = namedErrorClass('MissingError');

  it('answers instead when the call fails with the expected class, and passes anything else on', async () => {
    assert.equal(
      await orIfThrown(Promise.reject(new Missing('gone')), Missing, 'absent'),
      'absent',
    );
    assert.equal(await orIfThrown(Promise.resolve('found'), Missing, 'absent'), 'found');
    await assert.rejects(orIfThrown(Promise.reject(new TypeError('bug')), Missing, 'absent'), {
      name: 'TypeError',
    });
  });
});
