import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coverageOf } from '../../../functions/core/migration/coverage.ts';
import {
  annotatedRolesToLookUp,
  BATCH_SIZE,
  batchDocument,
  batchRoles,
  batchServiceAccounts,
  MAX_BATCH_SIZE,
  MAX_BATCHES,
  type MigrationPlan,
  migrationBatches,
  type PlannedRole,
  type PlannedServiceAccount,
  pendingSteps,
  planMigration,
  planOfBatch,
} from '../../../functions/core/migration/plan.ts';
import { providerForIssuer, providerFromArn } from '../../../functions/core/migration/provider.ts';
import { findIrsaSubjects, OidcProviderError } from '../../../functions/core/trust-policy.ts';
import {
  ACCOUNT,
  annotated,
  facts,
  irsaStatement,
  OTHER_PROVIDER_ARN,
  POD_IDENTITY_STATEMENT,
  PROVIDER,
  PROVIDER_ARN,
  role,
  roleArn,
  subject,
  trust,
} from './fixtures.ts';

function rows(plan: MigrationPlan): string[] {
  return plan.serviceAccounts.map((sa) => {
    const roleName = plan.roles[sa.roleIndex]?.name ?? '?';
    return `${sa.namespace}/${sa.serviceAccount} ${roleName} ${sa.coverage.kind} ${sa.association}`;
  });
}

function kinds(plan: MigrationPlan): string[] {
  return plan.findings.map(
    (finding) =>
      `${finding.kind} ${finding.namespace ?? ''}/${finding.serviceAccount ?? ''} ${finding.roleName ?? ''}`,
  );
}

describe('the cluster OIDC provider', () => {
  it('is found among the account providers by the issuer without its scheme', () => {
    const issuer = 'https://oidc.eks.us-west-2.amazonaws.com/id/DEMO1';
    assert.equal(providerForIssuer(issuer, [OTHER_PROVIDER_ARN, PROVIDER_ARN]), PROVIDER_ARN);
    assert.equal(providerForIssuer(`${issuer}/`, [PROVIDER_ARN]), PROVIDER_ARN);
    assert.equal(providerForIssuer(issuer, [OTHER_PROVIDER_ARN]), undefined);
  });

  it('gives the account, partition and condition key prefix of its ARN, and refuses other ARNs', () => {
    assert.deepEqual(providerFromArn(PROVIDER_ARN), {
      arn: PROVIDER_ARN,
      partition: 'aws',
      account: ACCOUNT,
      conditionKeyPrefix: 'oidc.eks.us-west-2.amazonaws.com/id/DEMO1',
    });
    assert.throws(() => providerFromArn(roleArn('x')), OidcProviderError);
  });
});

describe('coverage of a service account by a role trust', () => {
  const document = trust(
    irsaStatement(PROVIDER_ARN, [subject('a', 'one'), subject('a', 'two')]),
    irsaStatement(PROVIDER_ARN, subject('web', 'fr?nt*'), 'StringLike'),
  );
  const irsa = findIrsaSubjects(document, PROVIDER_ARN);

  it('prefers an exact subject, reads array values, and matches StringLike wildcards', () => {
    assert.deepEqual(coverageOf(irsa, { namespace: 'a', serviceAccount: 'two' }), {
      kind: 'subject',
      value: subject('a', 'two'),
    });
    assert.deepEqual(coverageOf(irsa, { namespace: 'web', serviceAccount: 'frontend' }), {
      kind: 'wildcard',
      value: subject('web', 'fr?nt*'),
    });
    assert.equal(coverageOf(irsa, { namespace: 'web', serviceAccount: 'backend' }), undefined);
  });

  it('counts a statement without a :sub condition as covering every service account', () => {
    const open = findIrsaSubjects(trust(irsaStatement(PROVIDER_ARN, undefined)), PROVIDER_ARN);
    assert.deepEqual(coverageOf(open, { namespace: 'any', serviceAccount: 'one' }), {
      kind: 'cluster-wide',
    });
  });

  it('ignores trust of another cluster', () => {
    const other = findIrsaSubjects(
      trust(irsaStatement(OTHER_PROVIDER_ARN, subject('a', 'one'))),
      PROVIDER_ARN,
    );
    assert.equal(coverageOf(other, { namespace: 'a', serviceAccount: 'one' }), undefined);
  });
});

describe('planMigration with Kubernetes discovery', () => {
  it('migrates annotated service accounts the role trusts, once per role, ordered by role', () => {
    const plan = planMigration(
      facts({
        kubernetes: {
          serviceAccounts: [
            annotated('payments', 'worker', roleArn('shared')),
            annotated('payments', 'api', roleArn('shared')),
            annotated('web', 'frontend', roleArn('web', '/teams/')),
            { namespace: 'payments', name: 'plain' },
          ],
          pods: [{ namespace: 'payments', name: 'api-1', serviceAccount: 'api' }],
        },
        roles: [
          role(
            'shared',
            trust(
              irsaStatement(PROVIDER_ARN, [
                subject('payments', 'api'),
                subject('payments', 'worker'),
              ]),
            ),
          ),
          role(
            'web',
            trust(irsaStatement(PROVIDER_ARN, subject('web', '*'), 'StringLike')),
            '/teams/',
          ),
        ],
      }),
    );
    assert.deepEqual(rows(plan), [
      'payments/api shared subject create',
      'payments/worker shared subject create',
      'web/frontend web wildcard create',
    ]);
    assert.deepEqual(
      plan.roles.map((entry) => [
        entry.name,
        entry.arn,
        entry.trust,
        entry.firstServiceAccount,
        entry.serviceAccountCount,
      ]),
      [
        ['shared', roleArn('shared'), 'add', 0, 2],
        ['web', roleArn('web', '/teams/'), 'add', 2, 1],
      ],
    );
    assert.deepEqual(plan.serviceAccounts[0]?.pods, ['api-1']);
    assert.deepEqual(plan.serviceAccounts[1]?.pods, []);
    assert.deepEqual(plan.serviceAccounts[0]?.annotation, {
      roleArn: roleArn('shared'),
      resourceVersion: '7',
    });
    assert.ok(kinds(plan).includes('role-path / web'));
    assert.ok(kinds(plan).includes('wildcard-subject / web'));
    assert.equal(plan.discovery.used, 'kubernetes');
  });

  it('leaves out what must not be migrated, each with its reason', () => {
    const plan = planMigration(
      facts({
        kubernetes: {
          serviceAccounts: [
            annotated('kube-system', 'aws-node', roleArn('cni')),
            annotated('legacy', 'reporter', roleArn('stacked')),
            annotated('partner', 'sync', 'arn:aws:iam::444455556666:role/partner'),
            annotated('payments', 'stale', roleArn('stale')),
            annotated('payments', 'ghost', roleArn('missing')),
            annotated('payments', 'typo', 'not-an-arn'),
          ],
        },
        roles: [
          role('cni', trust(irsaStatement(PROVIDER_ARN, subject('kube-system', 'aws-node')))),
          role('stacked', trust(irsaStatement(PROVIDER_ARN, subject('legacy', 'reporter')))),
          role('stale', trust(POD_IDENTITY_STATEMENT)),
        ],
        addonRoles: [{ addonName: 'vpc-cni', roleArn: roleArn('cni') }],
        stacks: [
          {
            stackName: 'eksctl-demo-addon-iamserviceaccount-legacy-reporter',
            roleNames: ['stacked'],
          },
        ],
      }),
    );
    assert.deepEqual(plan.serviceAccounts, []);
    assert.deepEqual(kinds(plan), [
      'addon-role kube-system/aws-node cni',
      'stack-owned legacy/reporter stacked',
      'other-account partner/sync partner',
      'role-not-found payments/ghost missing',
      'annotation-without-trust payments/stale stale',
      'invalid-annotation payments/typo ',
    ]);
    const stack = plan.findings.find((finding) => finding.kind === 'stack-owned');
    assert.match(
      stack?.message ?? '',
      /stack "eksctl-demo-addon-iamserviceaccount-legacy-reporter"/,
    );
    assert.ok(plan.findings.every((finding) => finding.skipped));
  });

  it('migrates a role of an eksctl-named stack through the stack, tag pending until tagged', () => {
    const plan = planMigration(
      facts({
        kubernetes: { serviceAccounts: [annotated('legacy', 'reporter', roleArn('stacked'))] },
        roles: [role('stacked', trust(irsaStatement(PROVIDER_ARN, subject('legacy', 'reporter'))))],
        stacks: [
          {
            stackName: 'eksctl-demo-addon-iamserviceaccount-legacy-reporter',
            roleNames: ['stacked'],
            updatable: true,
          },
        ],
      }),
    );
    assert.deepEqual(kinds(plan), []);
    assert.equal(plan.roles[0]?.throughStack, true);
    assert.equal(plan.roles[0]?.stackTagPending, true);
    assert.equal(plan.roles[0]?.stackName, 'eksctl-demo-addon-iamserviceaccount-legacy-reporter');
    assert.equal(plan.serviceAccounts[0]?.association, 'create');
  });

  it('migrates a stack-owned role when drift is allowed, noting the drift', () => {
    const plan = planMigration(
      facts({
        request: { allowStackDrift: true },
        kubernetes: { serviceAccounts: [annotated('legacy', 'reporter', roleArn('stacked'))] },
        roles: [role('stacked', trust(irsaStatement(PROVIDER_ARN, subject('legacy', 'reporter'))))],
        stacks: [{ stackName: 'the-stack', roleNames: ['stacked'] }],
      }),
    );
    assert.equal(plan.roles[0]?.stackName, 'the-stack');
    assert.deepEqual(kinds(plan), ['stack-drift / stacked']);
  });

  it('reports trust that no annotated service account accounts for, without migrating it', () => {
    const plan = planMigration(
      facts({
        kubernetes: {
          serviceAccounts: [
            annotated('a', 'used', roleArn('r')),
            { namespace: 'a', name: 'bare' },
            annotated('a', 'elsewhere', roleArn('other')),
          ],
        },
        roles: [
          role(
            'r',
            trust(
              irsaStatement(PROVIDER_ARN, [
                subject('a', 'used'),
                subject('a', 'bare'),
                subject('a', 'elsewhere'),
                subject('a', 'gone'),
                'not-a-service-account',
              ]),
            ),
          ),
          role('other', trust(irsaStatement(PROVIDER_ARN, subject('a', 'elsewhere')))),
        ],
      }),
    );
    const messages = plan.findings.map((finding) => finding.message);
    assert.ok(
      messages.some((text) =>
        text.includes(
          `${subject('a', 'bare')} of this cluster, but that service account has no eks.amazonaws.com/role-arn annotation`,
        ),
      ),
    );
    assert.ok(
      messages.some((text) =>
        text.includes(
          `${subject('a', 'elsewhere')} of this cluster, but that service account is annotated with ${roleArn('other')}`,
        ),
      ),
    );
    assert.ok(
      messages.some((text) =>
        text.includes(
          `${subject('a', 'gone')} of this cluster, but that service account does not exist`,
        ),
      ),
    );
    assert.ok(kinds(plan).includes('unrecognised-subject / r'));
    assert.deepEqual(rows(plan), ['a/elsewhere other subject create', 'a/used r subject create']);
  });

  it('treats an association with the same role as done and one with another role as a conflict', () => {
    const plan = planMigration(
      facts({
        kubernetes: {
          serviceAccounts: [
            annotated('a', 'done', roleArn('r')),
            annotated('a', 'taken', roleArn('r')),
          ],
        },
        roles: [
          role(
            'r',
            trust(irsaStatement(PROVIDER_ARN, [subject('a', 'done'), subject('a', 'taken')])),
          ),
        ],
        associations: [
          // EKS keeps the ARN as it was given; a different case of the name is the same role.
          { namespace: 'a', serviceAccount: 'done', roleArn: roleArn('R') },
          { namespace: 'a', serviceAccount: 'taken', roleArn: roleArn('another') },
        ],
      }),
    );
    assert.deepEqual(rows(plan), ['a/done r subject exists']);
    assert.match(
      plan.findings[0]?.message ?? '',
      /already has a pod identity association with role .*another.*conflict/,
    );
  });

  it('plans a role whose trust cannot take the Pod Identity statement as blocked', () => {
    const plan = planMigration(
      facts({
        assumeRolePolicySizeQuota: 400,
        kubernetes: { serviceAccounts: [annotated('a', 'b', roleArn('full'))] },
        roles: [role('full', trust(irsaStatement(PROVIDER_ARN, subject('a', 'b'))))],
      }),
    );
    assert.equal(plan.roles[0]?.trust, 'too-large');
    assert.ok((plan.roles[0]?.trustSize.withPodIdentity ?? 0) > 400);
    assert.match(pendingSteps(plan, 0).blocked ?? '', /AssumeRolePolicySizeQuota of 400/);
  });

  it('limits discovery to the namespaces asked for', () => {
    const plan = planMigration(
      facts({
        request: { namespaces: ['b'] },
        kubernetes: {
          serviceAccounts: [annotated('a', 'x', roleArn('r')), annotated('b', 'y', roleArn('r'))],
        },
        roles: [
          role('r', trust(irsaStatement(PROVIDER_ARN, [subject('a', 'x'), subject('b', 'y')]))),
        ],
      }),
    );
    assert.deepEqual(rows(plan), ['b/y r subject create']);
    assert.deepEqual(kinds(plan), []);
  });
});

describe('planMigration of a half-migrated service account', () => {
  // An earlier run created the association and removed the annotation, then stopped before the
  // OIDC trust was removed.
  const halfDone = (removeOidcProviderTrustRelationship: boolean) =>
    facts({
      request: { approve: true, removeOidcProviderTrustRelationship },
      kubernetes: { serviceAccounts: [{ namespace: 'default', name: 'app' }], pods: [] },
      roles: [
        role(
          'app',
          trust(irsaStatement(PROVIDER_ARN, subject('default', 'app')), POD_IDENTITY_STATEMENT),
        ),
      ],
      associations: [{ namespace: 'default', serviceAccount: 'app', roleArn: roleArn('app') }],
    });

  it('is recognised, and only its OIDC trust is left to remove', () => {
    const plan = planMigration(halfDone(true));
    assert.deepEqual(
      plan.serviceAccounts.map((sa) => `${sa.namespace}/${sa.serviceAccount} ${sa.association}`),
      ['default/app exists'],
    );
    assert.deepEqual(pendingSteps(plan, 0), {
      trust: false,
      association: false,
      annotation: false,
      oidcTrust: true,
    });
  });

  it('is left alone without OIDC-trust removal, and never without its association', () => {
    assert.deepEqual(planMigration(halfDone(false)).serviceAccounts, []);
    const withoutAssociation = { ...halfDone(true), associations: [] };
    assert.deepEqual(planMigration(withoutAssociation).serviceAccounts, []);
  });
});

describe('planMigration with IAM discovery', () => {
  it('migrates exact subjects and reports what only Kubernetes could resolve', () => {
    const plan = planMigration(
      facts({
        kubernetes: undefined,
        roles: [
          role(
            'shared',
            trust(irsaStatement(PROVIDER_ARN, [subject('a', 'one'), subject('a', 'two')])),
          ),
          role('wild', trust(irsaStatement(PROVIDER_ARN, subject('web', '*'), 'StringLike'))),
          role('open', trust(irsaStatement(PROVIDER_ARN, undefined))),
          role('twice', trust(irsaStatement(PROVIDER_ARN, subject('a', 'two')))),
          role('cni', trust(irsaStatement(PROVIDER_ARN, subject('kube-system', 'aws-node')))),
        ],
        addonRoles: [{ addonName: 'vpc-cni', roleArn: roleArn('cni') }],
      }),
    );
    assert.deepEqual(rows(plan), ['a/one shared subject create']);
    assert.equal(plan.discovery.used, 'iam');
    assert.deepEqual(kinds(plan).sort(), [
      'addon-role / cni',
      'ambiguous-subject a/two ',
      'cluster-wide-trust / open',
      'wildcard-subject / wild',
    ]);
    assert.ok(plan.warnings.some((warning) => warning.includes('IAM trust policies alone')));
    assert.equal(plan.serviceAccounts[0]?.annotation, undefined);
  });

  it('checks annotations of every migrated service account when removing trust, since they are unknown', () => {
    const plan = planMigration(
      facts({
        request: { removeOidcProviderTrustRelationship: true },
        kubernetes: undefined,
        roles: [
          role('r', trust(POD_IDENTITY_STATEMENT, irsaStatement(PROVIDER_ARN, subject('a', 'b')))),
        ],
        associations: [{ namespace: 'a', serviceAccount: 'b', roleArn: roleArn('r') }],
      }),
    );
    assert.deepEqual(pendingSteps(plan, 0), {
      trust: false,
      association: false,
      annotation: true,
      oidcTrust: true,
    });
  });
});

describe('plan helpers', () => {
  it('looks up annotated roles of this account that do not trust the provider', () => {
    const names = annotatedRolesToLookUp(
      [
        annotated('a', 'x', roleArn('known')),
        annotated('a', 'y', roleArn('Unknown', '/p/')),
        annotated('a', 'z', roleArn('unknown')),
        annotated('a', 'w', 'arn:aws:iam::444455556666:role/foreign'),
        annotated('b', 'v', roleArn('filtered')),
      ],
      [{ name: 'known' }],
      PROVIDER,
      ['a'],
    );
    assert.deepEqual(names, ['unknown']);
  });

  it('packs whole roles into batches, each role with all its service accounts', () => {
    const role = (firstServiceAccount: number, serviceAccountCount: number) =>
      ({ firstServiceAccount, serviceAccountCount }) as PlannedRole;
    // Service accounts per role: 3, 2, 0, 4, 9 (one role over the batch size), 1.
    const roles = [role(0, 3), role(3, 2), role(5, 0), role(5, 4), role(9, 9), role(18, 1)];
    const plan = { batches: migrationBatches(roles, 5) };
    assert.deepEqual(plan.batches, [
      { firstRole: 0, roleCount: 3, firstServiceAccount: 0, serviceAccountCount: 5 },
      { firstRole: 3, roleCount: 1, firstServiceAccount: 5, serviceAccountCount: 4 },
      { firstRole: 4, roleCount: 1, firstServiceAccount: 9, serviceAccountCount: 9 },
      { firstRole: 5, roleCount: 1, firstServiceAccount: 18, serviceAccountCount: 1 },
    ]);
    assert.deepEqual(batchRoles(plan, 0), [0, 1, 2]);
    assert.deepEqual(batchServiceAccounts(plan, 2), [9, 10, 11, 12, 13, 14, 15, 16, 17]);
    assert.deepEqual(batchServiceAccounts(plan, 4), []);
    // Roles without service accounts still count against the batch size.
    assert.deepEqual(
      migrationBatches([role(0, 0), role(0, 0), role(0, 0)], 2).map((batch) => batch.roleCount),
      [2, 1],
    );
    assert.deepEqual(migrationBatches([], 5), []);
  });

  it("gives a batch's tasks only its roles and service accounts, at their plan indexes", () => {
    const role = (name: string, firstServiceAccount: number, serviceAccountCount: number) =>
      ({ name, firstServiceAccount, serviceAccountCount }) as PlannedRole;
    const sa = (name: string, roleIndex: number) =>
      ({ namespace: 'ns', serviceAccount: name, roleIndex }) as PlannedServiceAccount;
    const roles = [role('r0', 0, 2), role('r1', 2, 1)];
    const plan = {
      clusterName: 'c',
      removeOidcProviderTrustRelationship: true,
      batches: migrationBatches(roles, 2),
      roles,
      serviceAccounts: [sa('a', 0), sa('b', 0), sa('c', 1)],
      findings: [{ kind: 'role-path' }],
      warnings: ['w'],
    } as unknown as MigrationPlan;
    const document = batchDocument(plan, 1);
    assert.deepEqual(document.roles, [roles[1]]);
    assert.equal(JSON.stringify(document).includes('"r0"'), false);
    const view = planOfBatch(JSON.parse(JSON.stringify(document)));
    assert.equal(view.roles[0], undefined);
    assert.deepEqual(view.roles[1], roles[1]);
    assert.equal(view.serviceAccounts[1], undefined);
    assert.equal(view.serviceAccounts[2]?.serviceAccount, 'c');
    assert.deepEqual(batchRoles(view, 1), [1]);
    assert.deepEqual(batchServiceAccounts(view, 1), [2]);
    assert.deepEqual(batchRoles(view, 0), []);
    assert.equal(view.removeOidcProviderTrustRelationship, true);
    assert.throws(() => batchDocument(plan, 2), RangeError);
  });

  it('grows batches past BATCH_SIZE to stay within MAX_BATCHES, never past MAX_BATCH_SIZE', () => {
    const roles = (count: number, perRole: number) =>
      Array.from(
        { length: count },
        (_, index) =>
          ({ firstServiceAccount: index * perRole, serviceAccountCount: perRole }) as PlannedRole,
      );
    // Whole roles only: two roles of 10 fit in a batch of BATCH_SIZE (25), a third does not.
    assert.equal(BATCH_SIZE, 25);
    assert.equal(migrationBatches(roles(100, 10)).length, 50);
    const large = migrationBatches(roles(2_000, 10));
    assert.ok(large.length <= MAX_BATCHES, `${large.length} batches`);
    assert.equal(
      large.reduce((sum, batch) => sum + batch.serviceAccountCount, 0),
      20_000,
    );
    // Roles without service accounts count too.
    assert.ok(migrationBatches(roles(20_000, 0)).length <= MAX_BATCHES);
    // Past what MAX_BATCHES holds, batches stop growing: an invocation's work stays bounded.
    const huge = migrationBatches(roles(4_000, 10));
    assert.equal(huge.length, 40_000 / MAX_BATCH_SIZE);
    assert.ok(huge.every((batch) => batch.serviceAccountCount <= MAX_BATCH_SIZE));
  });
});
