import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MigrationPlan } from '../../../functions/core/migration/plan.ts';
import { planMigration } from '../../../functions/core/migration/plan.ts';
import {
  buildMigrationReport,
  NO_CHANGES_APPLIED,
  NO_OIDC_PROVIDER,
  type StepOutcomes,
} from '../../../functions/core/migration/report.ts';
import {
  describeTaskTree,
  migrationTaskTree,
} from '../../../functions/core/migration/task-tree.ts';
import {
  annotated,
  facts,
  irsaStatement,
  POD_IDENTITY_STATEMENT,
  PROVIDER_ARN,
  role,
  roleArn,
  subject,
  trust,
} from './fixtures.ts';

function samplePlan(
  options: { approve?: boolean; removal?: boolean; agent?: boolean } = {},
): MigrationPlan {
  return planMigration(
    facts({
      request: {
        approve: options.approve ?? false,
        removeOidcProviderTrustRelationship: options.removal ?? false,
      },
      agentInstalled: options.agent ?? false,
      kubernetes: {
        serviceAccounts: [
          annotated('a', 'one', roleArn('shared')),
          annotated('a', 'two', roleArn('shared')),
          annotated('b', 'done', roleArn('ready')),
          annotated('c', 'foreign', 'arn:aws:iam::444455556666:role/x'),
        ],
        pods: [{ namespace: 'a', name: 'one-pod', serviceAccount: 'one' }],
      },
      roles: [
        role(
          'shared',
          trust(irsaStatement(PROVIDER_ARN, [subject('a', 'one'), subject('a', 'two')])),
        ),
        role(
          'ready',
          trust(POD_IDENTITY_STATEMENT, irsaStatement(PROVIDER_ARN, subject('b', 'done'))),
        ),
      ],
      associations: [{ namespace: 'b', serviceAccount: 'done', roleArn: roleArn('ready') }],
    }),
  );
}

function emptyOutcomes(): StepOutcomes {
  return {
    trust: new Map(),
    associations: new Map(),
    annotations: new Map(),
    oidcTrust: new Map(),
    missing: {},
  };
}

const base = { clusterName: 'demo', region: 'us-west-2', discovery: 'auto' as const };

describe('the task tree', () => {
  it("lists the agent install, one trust update per role, then associations, in eksctl's shape", () => {
    assert.deepEqual(describeTaskTree(migrationTaskTree(samplePlan())), [
      '3 sequential tasks: {',
      '    install eks-pod-identity-agent addon,',
      '    update trust policy for unowned role "shared",',
      '    2 parallel sub-tasks: {',
      '        create pod identity association for service account "a/one",',
      '        create pod identity association for service account "a/two",',
      '    },',
      '}',
    ]);
  });

  it('adds annotation and OIDC trust removal after the associations when asked', () => {
    const lines = describeTaskTree(migrationTaskTree(samplePlan({ removal: true, agent: true })));
    assert.equal(lines[0], '4 sequential tasks: {');
    assert.ok(lines.includes('        remove iamserviceaccount EKS role annotation for "b/done",'));
    assert.ok(
      lines.includes('        remove OIDC provider trust for "a/one", "a/two" from role "shared",'),
    );
    assert.ok(!lines.some((line) => line.includes('install')));
  });

  it('counts what it does not list', () => {
    const lines = describeTaskTree({ mode: 'parallel', tasks: ['a', 'b', 'c'] }, 2);
    assert.deepEqual(lines, ['3 parallel tasks: {', '    a,', '    b,', '    ... and 1 more', '}']);
    assert.deepEqual(describeTaskTree({ mode: 'sequential', tasks: [] }), ['no tasks']);
  });
});

describe('the migration report', () => {
  it('says there is nothing to do without an OIDC provider', () => {
    const report = buildMigrationReport({
      ...base,
      approve: true,
      removeOidcProviderTrustRelationship: false,
    });
    assert.equal(report.headline, NO_OIDC_PROVIDER);
    assert.equal(report.discovery.used, 'none');
    assert.deepEqual(report.serviceAccounts, []);
  });

  it("shows a plan with eksctl's lines, the pods to restart later, and skipped service accounts", () => {
    const report = buildMigrationReport({
      ...base,
      approve: false,
      removeOidcProviderTrustRelationship: false,
      plan: samplePlan(),
    });
    assert.equal(
      report.headline,
      '(plan) would migrate 2 iamserviceaccount(s) and 0 addon(s) to pod identity by executing the following tasks',
    );
    assert.deepEqual(report.closing, ['all tasks were skipped', NO_CHANGES_APPLIED]);
    assert.deepEqual(
      report.serviceAccounts.map((row) => `${row.namespace}/${row.serviceAccount} ${row.result}`),
      ['a/one planned', 'a/two planned', 'b/done unchanged', 'c/foreign skipped'],
    );
    assert.deepEqual(report.counts.serviceAccounts, {
      migrated: 0,
      unchanged: 1,
      planned: 2,
      skipped: 1,
      failed: 0,
    });
    assert.deepEqual(
      report.restarts.map((restart) => restart.pods),
      [['one-pod'], []],
    );
    assert.equal(report.roles.find((entry) => entry.roleName === 'shared')?.trust, 'would-add');
  });

  it('reports what an approved run did per service account and per role, failures first in the next steps', () => {
    const plan = samplePlan({ approve: true, removal: true, agent: true });
    const outcomes = emptyOutcomes();
    outcomes.trust.set(0, { roleIndex: 0, result: 'present' });
    outcomes.trust.set(1, { roleIndex: 1, result: 'added' });
    outcomes.associations.set(0, { serviceAccountIndex: 0, result: 'exists' });
    outcomes.associations.set(1, { serviceAccountIndex: 1, result: 'created' });
    outcomes.associations.set(2, {
      serviceAccountIndex: 2,
      result: 'failed',
      reason: 'creating pod identity association: boom',
    });
    outcomes.annotations.set(0, { serviceAccountIndex: 0, result: 'removed' });
    outcomes.oidcTrust.set(0, {
      roleIndex: 0,
      result: 'removed',
      removed: [subject('b', 'done')],
      kept: [],
    });
    outcomes.oidcTrust.set(1, {
      roleIndex: 1,
      result: 'kept',
      removed: [],
      kept: [],
      reason: 'the pod identity association of "a/two" does not exist',
    });
    const byName = Object.fromEntries(
      plan.serviceAccounts.map((sa, index) => [`${sa.namespace}/${sa.serviceAccount}`, index]),
    );
    assert.deepEqual(byName, { 'b/done': 0, 'a/one': 1, 'a/two': 2 });

    const report = buildMigrationReport({
      ...base,
      approve: true,
      removeOidcProviderTrustRelationship: true,
      plan,
      outcomes,
    });
    const results = Object.fromEntries(
      report.serviceAccounts.map((row) => [`${row.namespace}/${row.serviceAccount}`, row]),
    );
    assert.equal(results['b/done']?.result, 'migrated');
    assert.deepEqual(results['b/done']?.steps, [
      'removed the role-arn annotation',
      'removed this cluster\'s OIDC trust for it from role "ready"',
    ]);
    assert.equal(results['a/two']?.result, 'failed');
    assert.match(results['a/two']?.reason ?? '', /boom/);
    // a/one: trust added and association created, but its annotation step never reported back.
    assert.equal(results['a/one']?.result, 'failed');
    assert.match(
      results['a/one']?.reason ?? '',
      /removing the role-arn annotation failed: the step did not run/,
    );
    assert.deepEqual(report.closing, [
      '2 service accounts could not be migrated; see their reasons',
    ]);
    assert.ok(
      report.nextSteps.some((step) => step.startsWith('fix the 2 service accounts that failed')),
    );
    assert.ok(report.warnings.some((warning) => warning.includes('restart them now')));
    assert.deepEqual(report.counts.roles, { trustAdded: 1, oidcTrustRemoved: 1, failed: 0 });
  });

  it('reports an approved run with nothing left to do as unchanged', () => {
    const plan = planMigration(
      facts({
        request: { approve: true },
        kubernetes: { serviceAccounts: [annotated('b', 'done', roleArn('ready'))] },
        roles: [
          role(
            'ready',
            trust(POD_IDENTITY_STATEMENT, irsaStatement(PROVIDER_ARN, subject('b', 'done'))),
          ),
        ],
        associations: [{ namespace: 'b', serviceAccount: 'done', roleArn: roleArn('ready') }],
      }),
    );
    const report = buildMigrationReport({
      ...base,
      approve: true,
      removeOidcProviderTrustRelationship: false,
      plan,
    });
    assert.equal(
      report.headline,
      'the one iamserviceaccount found is already migrated to pod identity',
    );
    assert.deepEqual(report.tasks, []);
    assert.deepEqual(report.closing, []);
    assert.equal(report.serviceAccounts[0]?.result, 'unchanged');
  });
});
