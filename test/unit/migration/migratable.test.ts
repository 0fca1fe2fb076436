/**
 * migratableRoleArnPatterns: the migration plans only roles the deployment lets its IAM touch,
 * and leaves every other one out with a `role-not-migratable` finding, on each path a role
 * reaches the plan (annotations, IAM trust alone, a half-migrated service account, add-ons).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AddonMigrationFact,
  planAddonMigrations,
} from '../../../functions/core/migration/addons.ts';
import {
  isMigratable,
  MigratableRolesSettingError,
  migratableRolesFromEnv,
} from '../../../functions/core/migration/migratable.ts';
import { type MigrationPlan, planMigration } from '../../../functions/core/migration/plan.ts';
import {
  annotated,
  facts,
  irsaStatement,
  POD_IDENTITY_STATEMENT,
  PROVIDER,
  PROVIDER_ARN,
  role,
  roleArn,
  subject,
  trust,
} from './fixtures.ts';

const PATTERNS = [roleArn('*', '/irsa/')];
const INSIDE = role('app', trust(irsaStatement(PROVIDER_ARN, subject('default', 'app'))), '/irsa/');
const OUTSIDE = role('admin', trust(irsaStatement(PROVIDER_ARN, subject('default', 'ops'))));

function migrated(plan: MigrationPlan): string[] {
  return plan.serviceAccounts.map((sa) => `${sa.namespace}/${sa.serviceAccount}`);
}

function notMigratable(plan: MigrationPlan): string[] {
  return plan.findings
    .filter((finding) => finding.kind === 'role-not-migratable')
    .map((finding) => {
      assert.equal(finding.skipped, true);
      assert.match(finding.message, /outside this deployment's migratableRoleArnPatterns/);
      return `${finding.namespace ?? ''}/${finding.serviceAccount ?? ''} ${finding.roleName}`;
    });
}

describe('migratableRolesFromEnv', () => {
  it('reads MIGRATABLE_ROLES as a JSON list, and nothing as every role', () => {
    assert.equal(migratableRolesFromEnv({}), undefined);
    assert.equal(migratableRolesFromEnv({ MIGRATABLE_ROLES: ' ' }), undefined);
    assert.deepEqual(
      migratableRolesFromEnv({ MIGRATABLE_ROLES: JSON.stringify(PATTERNS) }),
      PATTERNS,
    );
  });

  it('refuses a setting it cannot read, so a typo never plans roles IAM refuses', () => {
    for (const text of ['arn:aws:iam::111122223333:role/irsa/*', '{"a":1}', '[""]']) {
      assert.throws(
        () => migratableRolesFromEnv({ MIGRATABLE_ROLES: text }),
        MigratableRolesSettingError,
      );
    }
  });

  it('matches role ARNs with their path by glob', () => {
    assert.equal(isMigratable(INSIDE.arn, PATTERNS), true);
    assert.equal(isMigratable(roleArn('app'), PATTERNS), false);
    assert.equal(isMigratable(roleArn('app'), undefined), true);
  });
});

describe('planMigration with migratableRoleArnPatterns', () => {
  it('leaves out an annotated service account whose role is outside, naming it', () => {
    const plan = planMigration(
      facts({
        kubernetes: {
          serviceAccounts: [
            annotated('default', 'app', INSIDE.arn),
            annotated('default', 'ops', OUTSIDE.arn),
          ],
          pods: [],
        },
        roles: [INSIDE, OUTSIDE],
        migratableRoleArnPatterns: PATTERNS,
      }),
    );
    assert.deepEqual(migrated(plan), ['default/app']);
    assert.deepEqual(notMigratable(plan), ['default/ops admin']);
  });

  it('plans every role when the deployment sets no patterns', () => {
    const plan = planMigration(
      facts({
        kubernetes: { serviceAccounts: [annotated('default', 'ops', OUTSIDE.arn)], pods: [] },
        roles: [OUTSIDE],
      }),
    );
    assert.deepEqual(migrated(plan), ['default/ops']);
  });

  it('leaves out a role found from IAM trust alone', () => {
    const plan = planMigration(
      facts({
        kubernetes: undefined,
        roles: [INSIDE, OUTSIDE],
        migratableRoleArnPatterns: PATTERNS,
      }),
    );
    assert.deepEqual(migrated(plan), ['default/app']);
    assert.deepEqual(notMigratable(plan), ['/ admin']);
  });

  it('does not finish the OIDC-trust removal of a half-migrated service account whose role is outside', () => {
    const halfDone = role(
      'admin',
      trust(irsaStatement(PROVIDER_ARN, subject('default', 'ops')), POD_IDENTITY_STATEMENT),
    );
    const plan = planMigration(
      facts({
        request: { approve: true, removeOidcProviderTrustRelationship: true },
        kubernetes: { serviceAccounts: [{ namespace: 'default', name: 'ops' }], pods: [] },
        roles: [halfDone],
        associations: [{ namespace: 'default', serviceAccount: 'ops', roleArn: halfDone.arn }],
        migratableRoleArnPatterns: PATTERNS,
      }),
    );
    assert.deepEqual(migrated(plan), []);
    assert.deepEqual(notMigratable(plan), ['/ admin']);
  });
});

describe('planAddonMigrations with migratableRoleArnPatterns', () => {
  const addon = (
    roleFact: typeof INSIDE,
    fields: Partial<AddonMigrationFact> = {},
  ): AddonMigrationFact => ({
    addonName: `addon-${roleFact.name}`,
    version: 'v1.0.0-eksbuild.1',
    roleArn: roleFact.arn,
    hasPodIdentityAssociations: false,
    podIdentityServiceAccounts: [roleFact.name === 'app' ? 'app' : 'ops'],
    role: roleFact,
    ...fields,
  });

  it('skips an add-on whose role is outside, with the reason, and migrates one inside', () => {
    const planned = planAddonMigrations(
      [addon(INSIDE), addon(OUTSIDE)],
      PROVIDER,
      true,
      [],
      PATTERNS,
    );
    assert.deepEqual(
      planned.map((entry) => `${entry.addonName} ${entry.action}`),
      ['addon-admin skip', 'addon-app migrate'],
    );
    const skipped = planned[0];
    assert.match(skipped?.reason ?? '', /^addon addon-admin: role .*:role\/admin is outside/);
    assert.equal(skipped?.removeOidcTrust, false);
    assert.equal(skipped?.addTrust, false);
  });

  it('skips the OIDC-trust removal an interrupted migration left on a role outside', () => {
    const interrupted = addon(OUTSIDE, { hasPodIdentityAssociations: true });
    const associations = [{ namespace: 'default', serviceAccount: 'ops', roleArn: OUTSIDE.arn }];
    const [without] = planAddonMigrations([interrupted], PROVIDER, true, associations, undefined);
    assert.equal(without?.onlyOidcTrustLeft, true, 'left to finish without patterns');
    const [planned] = planAddonMigrations([interrupted], PROVIDER, true, associations, PATTERNS);
    assert.equal(planned?.action, 'skip');
    assert.equal(planned?.onlyOidcTrustLeft, undefined);
    assert.equal(planned?.removeOidcTrust, false);
  });

  it('leaves an add-on already migrated as migrated: nothing of its role is touched', () => {
    const [planned] = planAddonMigrations(
      [addon(OUTSIDE, { hasPodIdentityAssociations: true })],
      PROVIDER,
      false,
      [],
      PATTERNS,
    );
    assert.equal(planned?.action, 'migrated');
  });
});
