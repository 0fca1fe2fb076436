/**
 * The guardrails' rule for a role the association already has, held by the workflow and not only
 * by the request it was given: plan-associations settles it before any change, and
 * prepare-association-batch settles it again on what EKS says when the batch runs, so a role
 * moved meanwhile, or a request document edited to drop the condition, changes nothing. And a
 * roleARN of another account is refused whatever the deployment's patterns say.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import { LEDGER_WRITER, MIGRATED_ACCOUNT, migratedWorld, WORKER_ROLE } from '../migrated-world.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const BUCKET = `eks-pia-configs-${MIGRATED_ACCOUNT}`;
const WORLD = migratedWorld(`buckets:\n  - name: ${BUCKET}\n    objects: {}\n`);

function updateInput(serviceAccountName: string, roleARN: string) {
  return {
    operation: 'update',
    config: {
      inline: {
        apiVersion: 'eksctl.io/v1alpha5',
        kind: 'ClusterConfig',
        metadata: { name: 'demo', region: 'us-west-2' },
        iam: {
          podIdentityAssociations: [
            { namespace: 'payments', serviceAccountName, roleARN, disableSessionTags: true },
          ],
        },
      },
    },
  };
}

type Report = { counts: { updated: number; failed: number } };

describe("a role allowed only as the association's current one", () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const changes = () =>
    sim?.mutatingSince(0).filter((call) => !call.startsWith('s3:') && !call.startsWith('events:'));

  it('is refused by prepare-association-batch when the association was moved off it after planning', async () => {
    sim = await simulate(WORLD);
    const { simulator } = sim;
    const report = (await sim.run('associations', updateInput('ledger', LEDGER_WRITER), {
      // Between the plan and the batch, someone moves payments/ledger to another role.
      onTaskInvoked: (task) => {
        if (task !== 'prepare-association-batch') return;
        const ledger = simulator.state.world.clusters[0]?.podIdentityAssociations.find(
          (association) => association.serviceAccount === 'ledger',
        );
        assert.ok(ledger);
        ledger.roleArn = WORKER_ROLE;
      },
    })) as Report;
    assert.equal(report.counts.updated, 0);
    assert.match(
      JSON.stringify(report),
      /RunDocumentTamperedError.*ledger-writer may not be associated.*the association of payments\/ledger has role arn:aws:iam::111122223333:role\/payments-worker now, not this one/,
    );
    assert.deepEqual(changes(), []);
  });

  it('is refused by prepare-association-batch when the request document drops the condition plan-associations settles', async () => {
    sim = await simulate(WORLD);
    const { simulator } = sim;
    const report = (await sim.run('associations', updateInput('worker', LEDGER_WRITER), {
      // Between validation and planning, someone with write access to runs/ removes the condition.
      onTaskInvoked: (task) => {
        if (task !== 'plan-associations') return;
        const bucket = simulator.state.world.buckets.find((candidate) => candidate.name === BUCKET);
        assert.ok(bucket);
        for (const [key, text] of Object.entries(bucket.objects)) {
          if (!key.endsWith('/request.json')) continue;
          const request = JSON.parse(text) as Record<string, unknown>;
          assert.ok(request.currentRoleConditions, 'load-association-request recorded it');
          delete request.currentRoleConditions;
          bucket.objects[key] = JSON.stringify(request);
        }
      },
    })) as Report;
    assert.equal(report.counts.updated, 0);
    assert.match(
      JSON.stringify(report),
      /RunDocumentTamperedError.*ledger-writer may not be associated.*the association of payments\/worker has role arn:aws:iam::111122223333:role\/payments-worker now, not this one/,
    );
    assert.deepEqual(changes(), []);
  });

  it('passes when nothing moved, and the update reaches EKS', async () => {
    sim = await simulate(WORLD);
    const report = (await sim.run('associations', updateInput('ledger', LEDGER_WRITER))) as Report;
    assert.deepEqual([report.counts.updated, report.counts.failed], [1, 0]);
    assert.deepEqual(changes(), ['eks:UpdatePodIdentityAssociation']);
  });
});

describe('a roleARN of another account', () => {
  it('is refused even when allowedRoleArnPatterns matches it, before the service account is created', async () => {
    const before = process.env.GUARDRAILS_ALLOWED_ROLE_ARN_PATTERNS;
    process.env.GUARDRAILS_ALLOWED_ROLE_ARN_PATTERNS = 'arn:aws:iam::*:role/*';
    const sim = await simulate(WORLD);
    try {
      const input = {
        operation: 'create',
        config: {
          inline: {
            apiVersion: 'eksctl.io/v1alpha5',
            kind: 'ClusterConfig',
            metadata: { name: 'demo', region: 'us-west-2' },
            iam: {
              podIdentityAssociations: [
                {
                  namespace: 'default',
                  serviceAccountName: 'x',
                  roleARN: 'arn:aws:iam::999999999999:role/other',
                  createServiceAccount: true,
                },
              ],
            },
          },
        },
      };
      await assert.rejects(sim.run('associations', input), (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.equal(error.error, 'PolicyGuardViolation');
        assert.match(
          error.cause,
          /role arn:aws:iam::999999999999:role\/other is in account 999999999999, but the association's role must be in account 111122223333.*whatever allowedRoleArnPatterns says/,
        );
        return true;
      });
      assert.deepEqual(sim.mutatingSince(0), []);
    } finally {
      if (before === undefined) delete process.env.GUARDRAILS_ALLOWED_ROLE_ARN_PATTERNS;
      else process.env.GUARDRAILS_ALLOWED_ROLE_ARN_PATTERNS = before;
      await sim.close();
    }
  });
});
