import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatches } from '../../functions/core/glob.ts';

describe('globMatches', () => {
  it('matches * across slashes and ? as one character, with case', () => {
    assert.equal(globMatches('arn:aws:iam::*:role/*', 'arn:aws:iam::1:role/a/b'), true);
    assert.equal(globMatches('team-?', 'team-a'), true);
    assert.equal(globMatches('team-?', 'team-ab'), false);
    assert.equal(globMatches('Team-*', 'team-a'), false);
    assert.equal(globMatches('a.b', 'axb'), false);
  });
});
