import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  oidcTrustRemoval,
  podIdentityTrustAddition,
  type RoleMember,
} from '../../../functions/core/migration/trust.ts';
import { policySize } from '../../../functions/core/policy-document.ts';
import { findIrsaSubjects, hasPodIdentityTrust } from '../../../functions/core/trust-policy.ts';
import {
  irsaStatement,
  OTHER_PROVIDER_ARN,
  POD_IDENTITY_STATEMENT,
  PROVIDER_ARN,
  subject,
  trust,
} from './fixtures.ts';

function member(namespace: string, name: string, overrides: Partial<RoleMember> = {}): RoleMember {
  return {
    ref: { namespace, serviceAccount: name },
    coverage: { kind: 'subject', value: subject(namespace, name) },
    associationExists: true,
    annotationGone: true,
    ...overrides,
  };
}

const subjectsOf = (document: Parameters<typeof findIrsaSubjects>[0], provider = PROVIDER_ARN) =>
  findIrsaSubjects(document, provider).subjects.map((entry) => entry.value);

describe('adding the Pod Identity trust', () => {
  const irsa = trust(irsaStatement(PROVIDER_ARN, subject('a', 'b')));

  it('appends the statement once and leaves the IRSA statement as it was', () => {
    const addition = podIdentityTrustAddition('r', irsa, 2048);
    assert.equal(addition.action, 'add');
    if (addition.action !== 'add') return;
    assert.ok(hasPodIdentityTrust(addition.document));
    assert.deepEqual(subjectsOf(addition.document), [subject('a', 'b')]);
    assert.deepEqual(podIdentityTrustAddition('r', addition.document, 2048), { action: 'present' });
  });

  it('refuses to write a document over the size quota, saying by how much', () => {
    const quota = policySize(irsa) + 20;
    const addition = podIdentityTrustAddition('r', irsa, quota);
    assert.equal(addition.action, 'too-large');
    if (addition.action !== 'too-large') return;
    assert.match(
      addition.reason,
      new RegExp(
        `\\(${policySize(irsa)} now\\), over this account's AssumeRolePolicySizeQuota of ${quota}`,
      ),
    );
  });
});

describe('removing OIDC trust of migrated service accounts', () => {
  const shared = trust(
    POD_IDENTITY_STATEMENT,
    irsaStatement(PROVIDER_ARN, [subject('a', 'one'), subject('a', 'two'), subject('a', 'other')]),
    irsaStatement(OTHER_PROVIDER_ARN, [subject('a', 'one')]),
  );

  it("removes only this cluster's exact subjects of the members, keeping other clusters' statements", () => {
    const removal = oidcTrustRemoval(shared, PROVIDER_ARN, [
      member('a', 'one'),
      member('a', 'two'),
    ]);
    assert.equal(removal.action, 'remove');
    if (removal.action !== 'remove') return;
    assert.deepEqual(removal.removed, [subject('a', 'one'), subject('a', 'two')]);
    assert.deepEqual(subjectsOf(removal.document), [subject('a', 'other')]);
    assert.deepEqual(subjectsOf(removal.document, OTHER_PROVIDER_ARN), [subject('a', 'one')]);
    assert.ok(hasPodIdentityTrust(removal.document));
  });

  it('drops a statement whose last subject goes, rather than leaving it open to the whole cluster', () => {
    const single = trust(POD_IDENTITY_STATEMENT, irsaStatement(PROVIDER_ARN, subject('a', 'one')));
    const removal = oidcTrustRemoval(single, PROVIDER_ARN, [member('a', 'one')]);
    assert.equal(removal.action, 'remove');
    if (removal.action !== 'remove') return;
    assert.equal(findIrsaSubjects(removal.document, PROVIDER_ARN).statements.length, 0);
  });

  it('removes nothing while an association through the role is missing', () => {
    const removal = oidcTrustRemoval(shared, PROVIDER_ARN, [
      member('a', 'one'),
      member('a', 'two', { associationExists: false, associationProblem: 'throttled' }),
    ]);
    assert.equal(removal.action, 'keep');
    if (removal.action !== 'keep') return;
    assert.match(removal.reason, /association of "a\/two" does not exist \(throttled\)/);
  });

  it('removes nothing from a role that no longer trusts Pod Identity', () => {
    const withoutPods = trust(irsaStatement(PROVIDER_ARN, subject('a', 'one')));
    assert.equal(oidcTrustRemoval(withoutPods, PROVIDER_ARN, [member('a', 'one')]).action, 'keep');
  });

  it('keeps the subject of a service account whose annotation stayed, and wildcards and open statements', () => {
    const removal = oidcTrustRemoval(shared, PROVIDER_ARN, [
      member('a', 'one'),
      member('a', 'two', { annotationGone: false, annotationProblem: '403' }),
      member('web', 'x', { coverage: { kind: 'wildcard', value: subject('web', '*') } }),
      member('ops', 'y', { coverage: { kind: 'cluster-wide' } }),
    ]);
    assert.equal(removal.action, 'remove');
    if (removal.action !== 'remove') return;
    assert.deepEqual(removal.removed, [subject('a', 'one')]);
    assert.deepEqual(
      removal.kept.map((kept) => kept.subject),
      [subject('a', 'two'), subject('web', '*'), '(no :sub condition) for "ops/y"'],
    );
    assert.match(removal.kept[0]?.reason ?? '', /annotation of "a\/two" was not removed \(403\)/);
  });

  it('is unchanged when the subjects are already gone, so a rerun writes nothing', () => {
    const removal = oidcTrustRemoval(trust(POD_IDENTITY_STATEMENT), PROVIDER_ARN, [
      member('a', 'one'),
    ]);
    assert.deepEqual(removal, { action: 'unchanged', kept: [] });
  });

  it('leaves a statement that names other principals too', () => {
    const statement = irsaStatement(PROVIDER_ARN, subject('a', 'one'));
    const sharedPrincipal = trust(POD_IDENTITY_STATEMENT, {
      ...statement,
      Principal: { Federated: [PROVIDER_ARN, OTHER_PROVIDER_ARN] },
    });
    const removal = oidcTrustRemoval(sharedPrincipal, PROVIDER_ARN, [member('a', 'one')]);
    assert.equal(removal.action, 'unchanged');
    if (removal.action !== 'unchanged') return;
    assert.match(removal.kept[0]?.reason ?? '', /names other principals too/);
  });
});
