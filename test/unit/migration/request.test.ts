import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InvalidMigrationInputError,
  parseMigrationInput,
} from '../../../functions/core/migration/request.ts';

describe('the migrate-to-pod-identity input', () => {
  it('defaults to a plan over every namespace with automatic discovery in the deployment region', () => {
    assert.deepEqual(parseMigrationInput({ clusterName: 'demo' }, 'us-west-2'), {
      clusterName: 'demo',
      region: 'us-west-2',
      approve: false,
      removeOidcProviderTrustRelationship: false,
      discovery: 'auto',
      namespaces: [],
      allowStackDrift: false,
    });
  });

  it('keeps every option given, with namespaces sorted and without duplicates', () => {
    const request = parseMigrationInput(
      {
        clusterName: 'demo',
        region: 'us-west-2',
        approve: true,
        removeOidcProviderTrustRelationship: true,
        discovery: 'iam',
        namespaces: ['web', 'payments', 'web'],
        allowStackDrift: true,
      },
      'us-west-2',
    );
    assert.deepEqual(request.namespaces, ['payments', 'web']);
    assert.equal(request.discovery, 'iam');
    assert.equal(request.approve, true);
  });

  it('lists every problem at once and refuses unknown keys, so a typo never turns a run into a plan', () => {
    assert.throws(
      () =>
        parseMigrationInput(
          { clusterName: 'bad name', aprove: true, namespaces: ['Bad_NS'], discovery: 'all' },
          'us-west-2',
        ),
      (error: unknown) => {
        assert.ok(error instanceof InvalidMigrationInputError);
        assert.match(error.message, /clusterName: must be an EKS cluster name/);
        assert.match(error.message, /aprove/);
        assert.match(error.message, /namespaces\.0: must be a Kubernetes namespace name/);
        assert.match(error.message, /discovery/);
        return true;
      },
    );
  });

  it('refuses a cluster of another region than the deployment serves', () => {
    assert.throws(
      () => parseMigrationInput({ clusterName: 'demo', region: 'eu-west-1' }, 'us-west-2'),
      /this deployment manages clusters in us-west-2, but the request is for eu-west-1/,
    );
  });
});
