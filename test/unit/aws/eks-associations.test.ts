import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  configureRoleVisibilityRetry,
  createAssociation,
  deleteAssociation,
  describeAssociation,
  listAssociations,
  roleVisibilityWaitSeconds,
  updateAssociation,
} from '../../../functions/aws/eks-associations.ts';
import { createRole } from '../../../functions/aws/iam.ts';
import {
  ACCOUNT,
  POD_IDENTITY_TRUST,
  type Simulated,
  simulate,
  WORLD_HEADER,
} from './simulated.ts';

const ROLE_NOT_VISIBLE = /Role provided in the request does not exist/;
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

function worldWith(options: {
  associations?: object[];
  roles?: string[];
  roleVisibleToEksAfterCalls?: number;
}): object {
  return {
    account: ACCOUNT,
    region: 'us-west-2',
    caller: `arn:aws:iam::${ACCOUNT}:role/automation`,
    clusters: [{ name: 'demo', podIdentityAssociations: options.associations ?? [] }],
    roles: (options.roles ?? ['app', 'other', 'target']).map((name) => ({
      name,
      assumeRolePolicyDocument: POD_IDENTITY_TRUST,
    })),
    behaviour: { roleVisibleToEksAfterCalls: options.roleVisibleToEksAfterCalls ?? 0 },
  };
}

/** Creates a role in IAM during the run, so EKS sees it only after `roleVisibleToEksAfterCalls`. */
async function freshRole(name: string): Promise<string> {
  const created = await createRole({
    name,
    path: '/eks-pia/',
    trust: POD_IDENTITY_TRUST,
    description: 'test',
    tags: {},
  });
  assert.equal(created.status, 'created');
  return created.status === 'created' ? created.arn : '';
}

describe('EKS associations adapter', () => {
  let simulated: Simulated;
  const waits: number[] = [];
  const recordWait = async (milliseconds: number) => {
    waits.push(milliseconds);
  };

  afterEach(async () => {
    configureRoleVisibilityRetry();
    waits.length = 0;
    await simulated.stop();
  });

  describe('listAssociations', () => {
    it('follows every page and returns each association once', async () => {
      const associations = Array.from({ length: 250 }, (_, index) => ({
        namespace: index % 2 === 0 ? 'even' : 'odd',
        serviceAccount: `sa-${index}`,
        roleArn: roleArn('app'),
      }));
      simulated = await simulate(worldWith({ associations }));
      const since = simulated.sim.calls.length;

      const listed = await listAssociations('demo');

      assert.equal(listed.length, 250);
      assert.equal(new Set(listed.map((item) => item.associationId)).size, 250);
      assert.equal(
        new Set(listed.map((item) => `${item.namespace}/${item.serviceAccount}`)).size,
        250,
      );
      assert.equal(simulated.callsSince(since, 'ListPodIdentityAssociations').length, 3);
    });

    it('narrows to a namespace and a service account', async () => {
      simulated = await simulate(
        worldWith({
          associations: [
            { namespace: 'a', serviceAccount: 'x', roleArn: roleArn('app') },
            { namespace: 'a', serviceAccount: 'y', roleArn: roleArn('app') },
            { namespace: 'b', serviceAccount: 'x', roleArn: roleArn('app') },
          ],
        }),
      );

      const inA = await listAssociations('demo', { namespace: 'a' });
      const one = await listAssociations('demo', { namespace: 'b', serviceAccount: 'x' });

      assert.deepEqual(inA.map((item) => item.serviceAccount).sort(), ['x', 'y']);
      assert.deepEqual(
        one.map((item) => [item.namespace, item.serviceAccount]),
        [['b', 'x']],
      );
    });
  });

  describe('describeAssociation', () => {
    it('returns every field of the association', async () => {
      simulated = await simulate(
        worldWith({
          associations: [
            {
              namespace: 'default',
              serviceAccount: 'app',
              roleArn: roleArn('app'),
              targetRoleArn: 'arn:aws:iam::444455556666:role/target',
              disableSessionTags: true,
              policy: '{"Version":"2012-10-17","Statement":[]}',
              tags: { team: 'a' },
            },
          ],
        }),
      );
      const [summary] = await listAssociations('demo');
      assert.ok(summary);

      const details = await describeAssociation('demo', summary.associationId);

      assert.equal(details?.clusterName, 'demo');
      assert.equal(details?.associationId, summary.associationId);
      assert.match(details?.associationArn ?? '', /:podidentityassociation\/demo\//);
      assert.equal(details?.roleArn, roleArn('app'));
      assert.equal(details?.targetRoleArn, 'arn:aws:iam::444455556666:role/target');
      assert.match(details?.externalId ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(details?.disableSessionTags, true);
      assert.equal(details?.policy, '{"Version":"2012-10-17","Statement":[]}');
      assert.deepEqual(details?.tags, { team: 'a' });
      assert.equal(details?.ownerArn, undefined);
    });

    it('answers undefined for an association that does not exist', async () => {
      simulated = await simulate(worldWith({}));
      assert.equal(await describeAssociation('demo', 'a-00000000000000000'), undefined);
    });
  });

  describe('createAssociation', () => {
    it('creates the association with its optional fields', async () => {
      simulated = await simulate(worldWith({}));

      const result = await createAssociation({
        clusterName: 'demo',
        namespace: 'default',
        serviceAccount: 'app',
        roleArn: roleArn('app'),
        targetRoleArn: roleArn('target'),
        disableSessionTags: true,
        policy: '{"Version":"2012-10-17","Statement":[]}',
        tags: { 'eks-pia/managed-by': 'eks-pia' },
      });

      assert.equal(result.status, 'created');
      const created = result.status === 'created' ? result.association : undefined;
      assert.deepEqual(await describeAssociation('demo', created?.associationId ?? ''), created);
      assert.equal(created?.targetRoleArn, roleArn('target'));
      assert.equal(created?.disableSessionTags, true);
      assert.deepEqual(created?.tags, { 'eks-pia/managed-by': 'eks-pia' });
    });

    it('is recognised by EKS as the same request when sent again (deterministic token)', async () => {
      simulated = await simulate(worldWith({}));
      const input = {
        clusterName: 'demo',
        namespace: 'default',
        serviceAccount: 'app',
        roleArn: roleArn('app'),
      };

      const first = await createAssociation(input);
      const second = await createAssociation(input);

      assert.equal(first.status, 'created');
      assert.deepEqual(second, first);
      assert.equal(simulated.sim.dump().clusters[0]?.podIdentityAssociations.length, 1);
    });

    it('returns the existing association when the service account already has one', async () => {
      simulated = await simulate(
        worldWith({
          associations: [
            { namespace: 'default', serviceAccount: 'app', roleArn: roleArn('other') },
          ],
        }),
      );

      const result = await createAssociation({
        clusterName: 'demo',
        namespace: 'default',
        serviceAccount: 'app',
        roleArn: roleArn('app'),
      });

      assert.equal(result.status, 'exists');
      assert.equal(result.status === 'exists' ? result.existing.roleArn : '', roleArn('other'));
      assert.equal(simulated.sim.mutatingCalls().length, 0);
    });

    it('retries while EKS does not yet see a just-created role, backing off exponentially', async () => {
      simulated = await simulate(worldWith({ roleVisibleToEksAfterCalls: 3 }));
      configureRoleVisibilityRetry({ sleep: recordWait, random: () => 0.5 });
      const fresh = await freshRole('fresh');
      const since = simulated.sim.calls.length;

      const result = await createAssociation({
        clusterName: 'demo',
        namespace: 'default',
        serviceAccount: 'app',
        roleArn: fresh,
      });

      assert.equal(result.status, 'created');
      // Three quarters of each ceiling (1, 2, 4 s), as the draw is fixed at one half.
      assert.deepEqual(waits, [750, 1500, 3000]);
      assert.deepEqual(
        simulated.callsSince(since, 'CreatePodIdentityAssociation').map((call) => call.status),
        [400, 400, 400, 200],
      );
    });

    it("fails with EKS's own error once the attempts are used up", async () => {
      simulated = await simulate(worldWith({ roleVisibleToEksAfterCalls: 3 }));
      configureRoleVisibilityRetry({
        attempts: 3,
        baseDelayMs: 1,
        sleep: recordWait,
        random: () => 1,
      });
      const fresh = await freshRole('fresh');

      await assert.rejects(
        createAssociation({
          clusterName: 'demo',
          namespace: 'default',
          serviceAccount: 'app',
          roleArn: fresh,
        }),
        { name: 'InvalidParameterException', message: ROLE_NOT_VISIBLE },
      );
      assert.deepEqual(waits, [1, 2]);
      assert.equal(simulated.sim.dump().clusters[0]?.podIdentityAssociations.length, 0);
    });

    /**
     * A create whose new role EKS never sees, each wait drawn at `draw`; the calls it made from
     * there on are returned.
     */
    async function createUntilRetriesRunOut(draw: number): Promise<number> {
      simulated = await simulate(worldWith({ roleVisibleToEksAfterCalls: 100 }));
      configureRoleVisibilityRetry({ sleep: recordWait, random: () => draw });
      const fresh = await freshRole('fresh');
      const since = simulated.sim.calls.length;
      await assert.rejects(
        createAssociation({
          clusterName: 'demo',
          namespace: 'default',
          serviceAccount: 'app',
          roleArn: fresh,
        }),
        { message: ROLE_NOT_VISIBLE },
      );
      return simulated.callsSince(since, 'CreatePodIdentityAssociation').length;
    }

    it('waits about two minutes at most by default, at most 10 s between calls', async () => {
      // The jitter at its top: every wait is its ceiling.
      await createUntilRetriesRunOut(1);

      const total = waits.reduce((sum, wait) => sum + wait, 0);
      assert.ok(total >= 100_000 && total <= 150_000, `waited ${total} ms`);
      assert.equal(Math.max(...waits), 10_000);
    });

    it('keeps trying as long when the draws are short: shorter waits mean more calls, not less time for IAM', async () => {
      const calls = await createUntilRetriesRunOut(0);

      assert.equal(
        waits.reduce((sum, wait) => sum + wait, 0),
        roleVisibilityWaitSeconds() * 1000,
      );
      assert.ok(calls > 16);
    });

    it('draws each wait at random between half its ceiling and the whole, so the items of a batch that met the same new role spread out', async () => {
      simulated = await simulate(worldWith({ roleVisibleToEksAfterCalls: 3 }));
      const draws = [0.1, 0.9, 0];
      configureRoleVisibilityRetry({ sleep: recordWait, random: () => draws.shift() ?? 0 });
      const fresh = await freshRole('fresh');

      const result = await createAssociation({
        clusterName: 'demo',
        namespace: 'default',
        serviceAccount: 'app',
        roleArn: fresh,
      });

      assert.equal(result.status, 'created');
      // Ceilings of 1, 2 and 4 s: half of each, and the other half scaled by its draw.
      assert.deepEqual(waits, [550, 1900, 2000]);
    });

    it('does not retry other invalid-parameter errors', async () => {
      simulated = await simulate(worldWith({}));
      configureRoleVisibilityRetry({ sleep: recordWait });

      await assert.rejects(
        createAssociation({
          clusterName: 'demo',
          namespace: 'default',
          serviceAccount: 'app',
          roleArn: 'arn:aws:iam::999999999999:role/elsewhere',
        }),
        { name: 'InvalidParameterException', message: /Cross-account pass role/ },
      );
      assert.deepEqual(waits, []);
    });
  });

  describe('updateAssociation', () => {
    it('changes only the fields given', async () => {
      simulated = await simulate(
        worldWith({
          associations: [
            {
              namespace: 'default',
              serviceAccount: 'app',
              roleArn: roleArn('app'),
              targetRoleArn: roleArn('target'),
              tags: { keep: 'me' },
            },
          ],
        }),
      );
      const [summary] = await listAssociations('demo');
      const id = summary?.associationId ?? '';

      const updated = await updateAssociation('demo', id, {
        roleArn: undefined,
        disableSessionTags: true,
        policy: '{"Version":"2012-10-17","Statement":[]}',
      });

      assert.equal(updated.roleArn, roleArn('app'));
      assert.equal(updated.targetRoleArn, roleArn('target'));
      assert.equal(updated.disableSessionTags, true);
      assert.equal(updated.policy, '{"Version":"2012-10-17","Statement":[]}');
      assert.deepEqual(updated.tags, { keep: 'me' });
      assert.deepEqual(await describeAssociation('demo', id), updated);
    });

    it('removes a target role given as an empty string', async () => {
      simulated = await simulate(
        worldWith({
          associations: [
            {
              namespace: 'default',
              serviceAccount: 'app',
              roleArn: roleArn('app'),
              targetRoleArn: roleArn('target'),
            },
          ],
        }),
      );
      const [summary] = await listAssociations('demo');

      const updated = await updateAssociation('demo', summary?.associationId ?? '', {
        targetRoleArn: '',
      });

      assert.equal(updated.targetRoleArn, undefined);
      assert.equal(updated.externalId, undefined);
    });

    it('retries a switch to a role EKS does not see yet', async () => {
      simulated = await simulate(
        worldWith({
          associations: [{ namespace: 'default', serviceAccount: 'app', roleArn: roleArn('app') }],
          roleVisibleToEksAfterCalls: 2,
        }),
      );
      configureRoleVisibilityRetry({ sleep: recordWait, random: () => 0.5 });
      const fresh = await freshRole('fresh');
      const [summary] = await listAssociations('demo');

      const updated = await updateAssociation('demo', summary?.associationId ?? '', {
        roleArn: fresh,
      });

      assert.equal(updated.roleArn, fresh);
      assert.deepEqual(waits, [750, 1500]);
    });
  });

  describe('deleteAssociation', () => {
    it('deletes, then answers absent when there is nothing left to delete', async () => {
      simulated = await simulate(
        `${WORLD_HEADER}clusters:\n  - name: demo\n    podIdentityAssociations:\n      - {namespace: default, serviceAccount: app, roleArn: ${roleArn('app')}}\n`,
      );
      const [summary] = await listAssociations('demo');
      const id = summary?.associationId ?? '';

      assert.equal(await deleteAssociation('demo', id), 'deleted');
      assert.equal(await deleteAssociation('demo', id), 'absent');
      assert.deepEqual(await listAssociations('demo'), []);
    });
  });
});
