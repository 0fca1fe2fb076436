import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigValidationError,
  issueLine,
  validateAssociationInput,
} from '../../../functions/core/config/index.ts';

function problems(read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof ConfigValidationError, `unexpected ${String(error)}`);
    return error.issues.map(issueLine);
  }
  assert.fail('the association was accepted');
}

describe('validateAssociationInput', () => {
  it('returns the typed association when it is valid', () => {
    const entry = validateAssociationInput(
      {
        namespace: 'default',
        serviceAccountName: 's3-reader',
        permissionPolicyARNs: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
        wellKnownPolicies: { autoScaler: true, externalDNS: true },
      },
      'create',
    );

    assert.deepEqual(entry.wellKnownPolicies, { autoScaler: true, externalDNS: true });
    assert.equal(entry.roleARN, undefined);
  });

  it('takes an empty session policy as none, without asking for disableSessionTags', () => {
    for (const operation of ['create', 'update'] as const) {
      const entry = validateAssociationInput(
        {
          namespace: 'default',
          serviceAccountName: 'app',
          roleARN: 'arn:aws:iam::111122223333:role/app',
          policy: '',
        },
        operation,
      );
      assert.equal(entry.policy, '', operation);
    }
    assert.deepEqual(
      problems(() =>
        validateAssociationInput(
          {
            namespace: 'default',
            serviceAccountName: 'app',
            roleARN: 'arn:aws:iam::111122223333:role/app',
            policy: '{"Version":"2012-10-17","Statement":[]}',
          },
          'create',
        ),
      ),
      ['disableSessionTags: --disable-session-tags must be set to true when using --policy'],
    );
  });

  it('applies the file rules with paths relative to the association', () => {
    assert.deepEqual(
      problems(() =>
        validateAssociationInput(
          {
            serviceAccountName: 's3-reader',
            roleARN: 'arn:aws:iam::111122223333:role/s3-reader',
            wellKnownPolicies: { ebsCSIController: true },
            permissionPolicyName: 'Reports',
          },
          'create',
        ),
      ),
      [
        'namespace must be set',
        'wellKnownPolicies cannot be specified when roleARN is set',
        'permissionPolicyName requires permissionPolicy to be set',
      ],
    );
  });

  it('prefixes paths with the given path', () => {
    assert.deepEqual(
      problems(() =>
        validateAssociationInput({ namespace: 'default' }, 'create', { path: 'association' }),
      ),
      [
        'association.serviceAccountName must be set',
        'at least one of the following must be specified: association.roleARN, association.permissionPolicy, association.permissionPolicyARNs, association.wellKnownPolicies',
      ],
    );
  });

  it('needs only the namespace and service account for delete', () => {
    const entry = validateAssociationInput(
      { namespace: 'default', serviceAccountName: 's3-reader' },
      'delete',
    );
    assert.deepEqual(entry, { namespace: 'default', serviceAccountName: 's3-reader' });
  });

  it('rejects unknown fields and wrong types before applying rules', () => {
    assert.deepEqual(
      problems(() =>
        validateAssociationInput(
          {
            namespace: 'default',
            serviceAccountName: 's3-reader',
            roleArn: 'x',
            disableSessionTags: 'true',
          },
          'update',
        ),
      ),
      [
        'disableSessionTags: must be true or false, got the string "true"; write true or false without quotes',
        'unknown field "roleArn" (did you mean "roleARN"?)',
      ],
    );
  });

  it('checks the shapes of names and ARNs', () => {
    assert.deepEqual(
      problems(() =>
        validateAssociationInput(
          {
            namespace: 'default',
            serviceAccountName: 's3-reader',
            roleARN: 'arn:aws:iam::111122223333:role/s3-reader',
            targetRoleARN: 'arn:aws:iam::444455556666:policy/reader',
          },
          'update',
        ),
      ),
      [
        'targetRoleARN: "arn:aws:iam::444455556666:policy/reader" is an IAM policy ARN, but a role ARN is needed here (arn:<partition>:iam::<account ID>:role/<name>)',
      ],
    );
  });

  it('names the subject in the message', () => {
    assert.throws(
      () => validateAssociationInput({ namespace: 'default' }, 'delete'),
      (error: unknown) =>
        error instanceof ConfigValidationError &&
        error.message === 'pod identity association has 1 problem:\nserviceAccountName must be set',
    );
  });
});
