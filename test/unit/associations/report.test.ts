import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decideItem, type ItemDecision } from '../../../functions/core/associations/plan.ts';
import {
  buildGetReport,
  buildReport,
  countResults,
  failureReason,
  type ItemResult,
  itemResult,
  MAX_LISTED_RESTARTS,
  RESULT_KINDS,
} from '../../../functions/core/associations/report.ts';
import {
  association,
  CLUSTER,
  desired,
  managedDesired,
  ownedAssociation,
  roleFromSpec,
  TARGET_ROLE,
  USER_ROLE,
} from './fixtures.ts';

const managed = managedDesired();
const createDecision = decideItem({
  operation: 'create',
  clusterName: CLUSTER,
  desired: managed.desired,
});
const deleteDecision = decideItem({
  operation: 'delete',
  clusterName: CLUSTER,
  desired: desired(),
  existing: ownedAssociation({ roleArn: managed.spec.arn }),
  role: roleFromSpec(managed.spec),
});
const missingDelete = decideItem({ operation: 'delete', clusterName: CLUSTER, desired: desired() });

function result(namespace: string, serviceAccount: string, kind: ItemResult['result']): ItemResult {
  return { namespace, serviceAccount, action: 'create', result: kind };
}

const REPORT_BASE = {
  clusterName: CLUSTER,
  region: 'us-west-2',
  operation: 'apply' as const,
  source: 's3://configs/apply/demo.yaml',
};

describe('itemResult', () => {
  it('shows on a dry run what would happen, with every step', () => {
    const line = itemResult(createDecision, { dryRun: true });
    assert.equal(line.result, 'created');
    assert.equal(line.reason, createDecision.reason);
    assert.deepEqual(line.steps, createDecision.steps);
    assert.equal(line.roleArn, managed.spec.arn);
    assert.equal(line.roleCreated, undefined);
  });

  it("says what was done in eksctl's words once carried out", () => {
    const line = itemResult(createDecision, {
      dryRun: false,
      outcome: { roleCreated: true, serviceAccountCreated: false, roleArn: managed.spec.arn },
    });
    assert.equal(
      line.reason,
      `created pod identity association for service account "app" in namespace "default" with new IAM role ${managed.spec.arn}`,
    );
    assert.equal(line.roleCreated, true);
    assert.equal(line.serviceAccountCreated, false);
    assert.equal(line.steps, undefined);
    assert.equal(
      itemResult(deleteDecision, { dryRun: false }).reason,
      `deleted pod identity association, IAM role "${managed.spec.roleName}" of "default/app"`,
    );
  });

  it('names an updated role ARN the way eksctl logs it', () => {
    const decision = decideItem({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: 'arn:aws:iam::111122223333:role/new' }),
      existing: association(),
    });
    assert.equal(
      itemResult(decision, { dryRun: false }).reason,
      'updated role ARN "arn:aws:iam::111122223333:role/new" for pod identity association "default/app"',
    );
  });

  it('turns a failed step into a failed item with its reason', () => {
    const line = itemResult(createDecision, {
      dryRun: false,
      outcome: {
        error: failureReason('create-association', createDecision, new Error('ServerException')),
      },
    });
    assert.equal(line.result, 'failed');
    assert.equal(
      line.reason,
      'creating pod identity association for service account "app" in namespace "default": ServerException',
    );
  });

  it("keeps a refusal as a failure with the decision's reason", () => {
    const refused = decideItem({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
    });
    const line = itemResult(refused, { dryRun: false });
    assert.equal(line.result, 'failed');
    assert.match(line.reason ?? '', /pod identity association does not exist/);
  });

  it("carries the decision's and the outcome's warnings", () => {
    const line = itemResult(missingDelete, { dryRun: false, outcome: { warnings: ['late'] } });
    assert.deepEqual(line.warnings, ['pod identity association "default/app" not found', 'late']);
    assert.equal(line.result, 'skipped');
  });
});

describe('failureReason', () => {
  const item: Pick<
    ItemDecision,
    'namespace' | 'serviceAccount' | 'roleName' | 'roleArn' | 'associationId'
  > = {
    namespace: 'default',
    serviceAccount: 'app',
    roleName: 'r',
    roleArn: USER_ROLE,
    associationId: 'a-1',
  };

  it('words each step like eksctl, naming the association and the cause', () => {
    const cause = new Error('boom');
    assert.equal(
      failureReason('create-role', item, cause),
      'creating IAM role for pod identity association for service account app in namespace default: boom',
    );
    assert.equal(
      failureReason('update-association', item, cause),
      `error updating pod identity association "default/app": (associationID: a-1, roleARN: ${USER_ROLE}): boom`,
    );
    assert.equal(
      failureReason('create-service-account', item, 'denied'),
      'failed to create service account "default/app": denied',
    );
    assert.equal(
      failureReason('delete-service-account', item, cause),
      'failed to delete service account "default/app": boom',
    );
    assert.match(failureReason('delete-role', item, cause), /deleting IAM role "r": boom$/);
    assert.match(failureReason('update-role', item, cause), /updating IAM role "r": boom$/);
    assert.match(
      failureReason('delete-association', item, cause),
      /^error deleting pod identity association "default\/app"/,
    );
  });
});

describe('countResults', () => {
  it('always adds up to the number of items', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...RESULT_KINDS), { maxLength: 200 }), (kinds) => {
        const counts = countResults(kinds.map((kind) => ({ result: kind })));
        const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
        assert.equal(total, kinds.length);
        for (const kind of RESULT_KINDS) {
          assert.equal(counts[kind], kinds.filter((candidate) => candidate === kind).length);
        }
      }),
    );
  });
});

describe('buildReport', () => {
  it('counts, lists items and tells which workloads to restart', () => {
    const report = buildReport({
      ...REPORT_BASE,
      dryRun: false,
      items: [
        result('default', 'a', 'created'),
        result('team', 'b', 'updated'),
        result('default', 'c', 'unchanged'),
      ],
    });
    assert.equal(report.workflow, 'associations');
    assert.deepEqual(report.counts, {
      created: 1,
      updated: 1,
      deleted: 0,
      unchanged: 1,
      skipped: 0,
      failed: 0,
    });
    assert.deepEqual(report.nextSteps, [
      'restart the pods using default/a to pick up Pod Identity credentials',
      'restart the pods using team/b to pick up Pod Identity credentials',
    ]);
    assert.equal(report.items.length, 3);
  });

  it('lists restarts one by one up to a limit, then sums up the rest', () => {
    const items = Array.from({ length: MAX_LISTED_RESTARTS + 5 }, (_, index) =>
      result('ns', `sa-${index}`, 'created'),
    );
    const report = buildReport({ ...REPORT_BASE, dryRun: false, items });
    assert.equal(report.nextSteps.length, MAX_LISTED_RESTARTS + 1);
    assert.match(report.nextSteps.at(-1) ?? '', /the other 5 service accounts created or updated/);
  });

  it('asks to fix failed items and warns about deleted ones', () => {
    const report = buildReport({
      ...REPORT_BASE,
      dryRun: false,
      items: [result('a', 'x', 'failed'), result('a', 'y', 'deleted')],
    });
    assert.match(
      report.nextSteps.join('\n'),
      /fix the 1 failed item .*rerun changes only what is still missing/,
    );
    assert.match(
      report.nextSteps.join('\n'),
      /pods of the 1 deleted association keep the credentials/,
    );
  });

  it('says a dry run changed nothing, and how many changes a real run would make', () => {
    const report = buildReport({
      ...REPORT_BASE,
      dryRun: true,
      items: [
        itemResult(createDecision, { dryRun: true }),
        itemResult(missingDelete, { dryRun: true }),
      ],
    });
    assert.equal(report.dryRun, true);
    assert.deepEqual(report.nextSteps, [
      'this was a dry run and nothing was changed; run again without dryRun to make the 1 change listed in items',
    ]);
  });

  it('gathers run and item warnings once each, prefixed with the service account', () => {
    const items = [
      itemResult(missingDelete, { dryRun: false }),
      itemResult(missingDelete, { dryRun: false }),
    ];
    const report = buildReport({
      ...REPORT_BASE,
      dryRun: false,
      items,
      warnings: ['region ignored'],
    });
    assert.deepEqual(report.warnings, [
      'region ignored',
      'default/app: pod identity association "default/app" not found',
    ]);
  });

  it('names the Kubernetes access the run gave itself', () => {
    const access = {
      principalArn: 'arn:aws:iam::111122223333:role/automation',
      accessPolicyArns: ['x'],
      changed: true,
    };
    const report = buildReport({ ...REPORT_BASE, dryRun: false, items: [], access });
    assert.deepEqual(report.access, access);
    assert.match(
      report.nextSteps.join('\n'),
      /gave arn:aws:iam::111122223333:role\/automation access to cluster demo/,
    );
  });
});

describe('buildGetReport', () => {
  it("shows eksctl's columns plus target role, session tags and management, sorted", () => {
    const report = buildGetReport({
      clusterName: CLUSTER,
      region: 'us-west-2',
      associations: [
        ownedAssociation({ namespace: 'team', serviceAccount: 'b', targetRoleArn: TARGET_ROLE }),
        association({
          namespace: 'default',
          serviceAccount: 'z',
          ownerArn: 'arn:aws:eks:::addon/x',
          disableSessionTags: true,
        }),
      ],
    });
    assert.equal(report.count, 2);
    assert.deepEqual(
      report.associations.map((row) => [
        row.Namespace,
        row.ServiceAccountName,
        row.ManagedByEksPia,
      ]),
      [
        ['default', 'z', false],
        ['team', 'b', true],
      ],
    );
    assert.deepEqual(Object.keys(report.associations[0] ?? {}), [
      'AssociationARN',
      'Namespace',
      'ServiceAccountName',
      'RoleARN',
      'OwnerARN',
      'TargetRoleARN',
      'DisableSessionTags',
      'ManagedByEksPia',
    ]);
    assert.equal(report.associations[0]?.OwnerARN, 'arn:aws:eks:::addon/x');
    assert.equal(report.associations[1]?.TargetRoleARN, TARGET_ROLE);
    assert.equal(report.associations[1]?.OwnerARN, '');
  });
});
