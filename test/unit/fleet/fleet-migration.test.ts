import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../../../functions/core/associations/request.ts';
import {
  buildFleetMigrationReport,
  parseFleetMigrationInput,
} from '../../../functions/core/fleet/fleet-migration.ts';
import type { MigrationCounts } from '../../../functions/core/migration/report.ts';
import { InvalidMigrationInputError } from '../../../functions/core/migration/request.ts';

function counts(serviceAccounts: Partial<MigrationCounts['serviceAccounts']>): MigrationCounts {
  const zero = { migrated: 0, unchanged: 0, planned: 0, skipped: 0, failed: 0 };
  return {
    serviceAccounts: { ...zero, ...serviceAccounts },
    addons: { ...zero },
    roles: { trustAdded: serviceAccounts.migrated ?? 0, oidcTrustRemoved: 0, failed: 0 },
  };
}

const ran = (
  clusterName: string,
  serviceAccounts: Partial<MigrationCounts['serviceAccounts']>,
) => ({
  clusterName,
  migration: {
    headline: `${clusterName} headline`,
    counts: counts(serviceAccounts),
    reportLocation: `s3://b/runs/${clusterName}/migration-report.json`,
  },
});

describe('parseFleetMigrationInput', () => {
  it('reads the selector and the options, leaving namespaces out when none are given', () => {
    assert.deepEqual(
      parseFleetMigrationInput(
        {
          clusters: 'tag:env=prod',
          approve: true,
          AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: 'x',
        },
        'us-west-2',
      ),
      {
        selector: 'tags env=prod',
        selection: { selector: { tags: { env: 'prod' } }, region: 'us-west-2' },
        migration: {
          region: 'us-west-2',
          approve: true,
          removeOidcProviderTrustRelationship: false,
          discovery: 'auto',
          allowStackDrift: false,
        },
      },
    );
    assert.deepEqual(
      parseFleetMigrationInput({ clusters: 'a,b', namespaces: ['web', 'api', 'web'] }, 'us-west-2')
        .migration.namespaces,
      ['api', 'web'],
    );
  });

  it('names every problem: unknown fields, a clusterName, another region, a bad selector', () => {
    assert.throws(
      () =>
        parseFleetMigrationInput({ clusters: 'a', clusterName: 'a', aprove: true }, 'us-west-2'),
      (error: unknown) =>
        error instanceof InvalidMigrationInputError &&
        /clusterName/.test(error.message) &&
        /aprove/.test(error.message) &&
        /"clusters": "a,b"/.test(error.message),
    );
    assert.throws(
      () => parseFleetMigrationInput({ clusters: 'a', region: 'eu-west-1' }, 'us-west-2'),
      /send it to the eu-west-1 deployment/,
    );
    assert.throws(
      () => parseFleetMigrationInput({ clusters: 'tag:env' }, 'us-west-2'),
      InvalidRequestError,
    );
    assert.throws(() => parseFleetMigrationInput({}, 'us-west-2'), /clusters/);
  });
});

describe('buildFleetMigrationReport', () => {
  it('tells planned, nothing to migrate and failed clusters apart and sums their counts', () => {
    const report = buildFleetMigrationReport({
      runId: 'r',
      selector: 'names prod-*',
      migration: { approve: false, removeOidcProviderTrustRelationship: false },
      warnings: [],
      reportLocation: 's3://b/runs/r/fleet-migration-report.json',
      iterations: [
        ran('prod-a', { planned: 3 }),
        ran('prod-b', { unchanged: 2 }),
        ran('prod-c', { planned: 1, failed: 1 }),
        { clusterName: 'prod-d', failure: { Error: 'States.TaskFailed', Cause: 'gone' } },
      ],
    });
    assert.deepEqual(
      report.clusters.map((cluster) => cluster.result),
      ['planned', 'nothing to migrate', 'failed', 'failed'],
    );
    assert.deepEqual(report.clusterCounts, {
      selected: 4,
      planned: 1,
      migrated: 0,
      nothingToMigrate: 1,
      failed: 2,
    });
    assert.equal(report.counts.serviceAccounts.planned, 4);
    assert.equal(report.counts.serviceAccounts.unchanged, 2);
    assert.match(report.clusters[2]?.reason ?? '', /^1 service account failed; see s3:/);
    assert.match(report.clusters[3]?.reason ?? '', /States.TaskFailed: gone/);
    assert.match(report.nextSteps[0] ?? '', /fix what failed on prod-c, prod-d/);
    assert.match(
      report.nextSteps[1] ?? '',
      /review the plan of prod-a .*approve and clusters: "prod-a"/,
    );
  });

  it('after an approved run without removal, says how to finish it', () => {
    const report = buildFleetMigrationReport({
      runId: 'r',
      selector: 'names prod-*',
      migration: { approve: true, removeOidcProviderTrustRelationship: false },
      warnings: [],
      reportLocation: 's3://b/r.json',
      iterations: [ran('prod-a', { migrated: 2 })],
    });
    assert.equal(report.clusters[0]?.result, 'migrated');
    assert.match(report.nextSteps.join('\n'), /removeOidcProviderTrustRelationship/);
  });
});
