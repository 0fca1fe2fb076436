import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inCliTerms } from '../../../local/cli/render.ts';

describe('messages in the CLI’s terms', () => {
  it('names the flags a person typed where the workflow names its input fields', () => {
    assert.equal(
      inCliTerms('Migrate it with eksctl, or run again with allowStackDrift to change its trust'),
      'Migrate it with eksctl, or run again with --allow-stack-drift to change its trust',
    );
    assert.equal(
      inCliTerms(
        'flags was rejected as a whole and nothing was changed: association.permissionPolicyARNs[0]: denied',
      ),
      'the flags were rejected as a whole and nothing was changed: --permission-policy-arns: denied',
    );
    assert.equal(inCliTerms('run again without dryRun'), 'run again without --dry-run');
  });

  it('leaves words that only contain a field name alone', () => {
    const text = 'the role dryRunner and clusterNames stay as written';
    assert.equal(inCliTerms(text), text);
  });
});
