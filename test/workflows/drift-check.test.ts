import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { DriftReport } from '../../functions/core/drift/report.ts';
import { OWNERSHIP_TAG_KEYS } from '../../functions/core/naming.ts';
import { WorkflowFailedError } from '../../local/runner/run-workflow.ts';
import { type SimulatedRun, simulate } from './harness.ts';

const ACCOUNT = '111122223333';
const BUCKET = `eks-pia-configs-${ACCOUNT}`;
const PODS_TRUST_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
};
/** The same, in the world file (JSON is YAML). */
const PODS_TRUST = JSON.stringify(PODS_TRUST_DOCUMENT);
const S3_READ_ONLY = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const ADMINISTRATOR = 'arn:aws:iam::aws:policy/AdministratorAccess';

const WORLD = `
account: "${ACCOUNT}"
region: us-west-2
caller: arn:aws:iam::${ACCOUNT}:role/automation
clusters:
  - name: demo
    version: "1.31"
    addons: [{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1}]
    namespaces: [default, payments]
roles:
  - {name: automation, assumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}}
  - {name: app-data-reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}
  - {name: other-reader, assumeRolePolicyDocument: ${PODS_TRUST}, tags: {eks-pia/assignable: "true"}}
`;

const READER = `arn:aws:iam::${ACCOUNT}:role/app-data-reader`;

const APPLY = {
  operation: 'apply',
  config: {
    inline: {
      apiVersion: 'eksctl.io/v1alpha5',
      kind: 'ClusterConfig',
      metadata: { name: 'demo', region: 'us-west-2' },
      iam: {
        podIdentityAssociations: [
          { namespace: 'payments', serviceAccountName: 'reports', roleARN: READER },
          { namespace: 'payments', serviceAccountName: 'worker', roleARN: READER },
          {
            namespace: 'default',
            serviceAccountName: 'web',
            permissionPolicyARNs: [S3_READ_ONLY],
            createServiceAccount: true,
          },
        ],
      },
    },
  },
};

function cluster(sim: SimulatedRun) {
  const found = sim.simulator.state.world.clusters.find((candidate) => candidate.name === 'demo');
  assert.ok(found);
  return found;
}

function association(sim: SimulatedRun, serviceAccount: string) {
  return cluster(sim).podIdentityAssociations.find(
    (candidate) => candidate.serviceAccount === serviceAccount,
  );
}

function webRole(sim: SimulatedRun) {
  const arn = association(sim, 'web')?.roleArn ?? '';
  const role = sim.simulator.state.world.roles.find((candidate) =>
    arn.endsWith(`/${candidate.name}`),
  );
  assert.ok(role, `the role of default/web (${arn})`);
  return role;
}

/** The items of a cluster's check report (the dry run's), by service account. */
function checkedItems(
  sim: SimulatedRun,
  location: string | null,
): Record<string, { result: string; steps?: string[] }> {
  assert.ok(location);
  const key = location.slice(`s3://${BUCKET}/`.length);
  const text = sim.simulator.state.world.buckets.find((bucket) => bucket.name === BUCKET)?.objects[
    key
  ];
  assert.ok(text, `${key} is in the run store`);
  const report = JSON.parse(text) as {
    items: { serviceAccount: string; result: string; steps?: string[] }[];
  };
  return Object.fromEntries(
    report.items.map(({ serviceAccount, ...item }) => [serviceAccount, item]),
  );
}

function readerRole(sim: SimulatedRun) {
  const role = sim.simulator.state.world.roles.find(
    (candidate) => candidate.name === 'app-data-reader',
  );
  assert.ok(role);
  return role;
}

/** Another account may assume the role: a trust statement added by hand. */
const FOREIGN_TRUST = {
  Effect: 'Allow' as const,
  Principal: { AWS: 'arn:aws:iam::444455556666:root' },
  Action: 'sts:AssumeRole',
};
const ESCALATE = {
  Version: '2012-10-17' as const,
  Statement: [{ Effect: 'Allow' as const, Action: '*', Resource: '*' }],
};

interface HandEdit {
  name: string;
  /** What a person changed. */
  edit(sim: SimulatedRun): void;
  /** The one item the check finds, how the apply would change it, and its steps when they matter. */
  item: 'worker' | 'reports' | 'web';
  result: 'created' | 'updated';
  steps?: (roleName: string) => string[];
  /** That heal brought it back, and left alone what eks-pia does not own. */
  healed(sim: SimulatedRun): void;
}

const HAND_EDITS: HandEdit[] = [
  {
    name: 'an association deleted by hand',
    edit: (sim) => {
      const world = cluster(sim);
      world.podIdentityAssociations = world.podIdentityAssociations.filter(
        (candidate) => candidate.serviceAccount !== 'worker',
      );
    },
    item: 'worker',
    result: 'created',
    healed: (sim) => assert.equal(association(sim, 'worker')?.roleArn, READER),
  },
  {
    name: "an association's role changed by hand",
    edit: (sim) => {
      const reports = association(sim, 'reports');
      assert.ok(reports);
      reports.roleArn = `arn:aws:iam::${ACCOUNT}:role/other-reader`;
    },
    item: 'reports',
    result: 'updated',
    healed: (sim) => assert.equal(association(sim, 'reports')?.roleArn, READER),
  },
  {
    name: 'the pods.eks.amazonaws.com statement removed by hand from the trust of the role eks-pia created',
    edit: (sim) => {
      webRole(sim).assumeRolePolicyDocument = { Version: '2012-10-17', Statement: [] };
    },
    item: 'web',
    result: 'updated',
    steps: (roleName) => [
      `add the trust statement that allows pods.eks.amazonaws.com sts:AssumeRole, sts:TagSession to IAM role "${roleName}"`,
    ],
    healed: (sim) => assert.deepEqual(webRole(sim).assumeRolePolicyDocument, PODS_TRUST_DOCUMENT),
  },
  {
    name: 'a trust statement added by hand to the role eks-pia created, and to a role the config names (left alone)',
    edit: (sim) => {
      for (const role of [webRole(sim), readerRole(sim)]) {
        role.assumeRolePolicyDocument = {
          ...PODS_TRUST_DOCUMENT,
          Statement: [...PODS_TRUST_DOCUMENT.Statement, FOREIGN_TRUST],
        };
      }
    },
    item: 'web',
    result: 'updated',
    steps: (roleName) => [
      `remove the trust statement that allows arn:aws:iam::444455556666:root sts:AssumeRole from IAM role "${roleName}"`,
    ],
    healed: (sim) => {
      assert.deepEqual(webRole(sim).assumeRolePolicyDocument, PODS_TRUST_DOCUMENT);
      assert.deepEqual(readerRole(sim).assumeRolePolicyDocument.Statement, [
        ...PODS_TRUST_DOCUMENT.Statement,
        FOREIGN_TRUST,
      ]);
    },
  },
  {
    name: 'a managed policy attached by hand to the role eks-pia created',
    edit: (sim) => {
      webRole(sim).attachedPolicies.push(ADMINISTRATOR);
    },
    item: 'web',
    result: 'updated',
    steps: (roleName) => [`detach policy ${ADMINISTRATOR} from IAM role "${roleName}"`],
    healed: (sim) => assert.deepEqual(webRole(sim).attachedPolicies, [S3_READ_ONLY]),
  },
  {
    name: 'an inline policy added by hand to the role eks-pia created, and to a role the config names (left alone)',
    edit: (sim) => {
      webRole(sim).inlinePolicies.escalate = ESCALATE;
      readerRole(sim).inlinePolicies.escalate = ESCALATE;
    },
    item: 'web',
    result: 'updated',
    steps: (roleName) => [`delete inline policy escalate from IAM role "${roleName}"`],
    healed: (sim) => {
      assert.deepEqual(webRole(sim).inlinePolicies, {});
      assert.deepEqual(readerRole(sim).inlinePolicies, { escalate: ESCALATE });
    },
  },
  {
    name: 'the service account eks-pia created deleted by hand',
    edit: (sim) => {
      const world = cluster(sim);
      world.serviceAccounts = world.serviceAccounts.filter((account) => account.name !== 'web');
    },
    item: 'web',
    result: 'updated',
    healed: (sim) =>
      assert.ok(cluster(sim).serviceAccounts.some((account) => account.name === 'web')),
  },
];

const IN_SYNC = { checked: 1, inSync: 1, drifted: 0, healed: 0, failed: 0 };

describe('drift-check workflow', () => {
  let sim: SimulatedRun | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  for (const handEdit of HAND_EDITS) {
    it(`${handEdit.name}: found as the one drifted item with no change made, healed with heal, then in sync`, async () => {
      sim = await simulate(WORLD);
      await sim.run('associations', APPLY);
      handEdit.edit(sim);
      const mark = sim.simulator.calls.length;
      const found = (await sim.run('drift-check', { clusters: 'demo' })) as DriftReport;
      assert.equal(found.clusters[0]?.result, 'drifted');
      assert.deepEqual(found.clusters[0]?.drift, {
        created: handEdit.result === 'created' ? 1 : 0,
        updated: handEdit.result === 'updated' ? 1 : 0,
        deleted: 0,
        undeclared: 0,
      });
      assert.equal(found.driftedItems, 1);
      const items = checkedItems(sim, found.clusters[0]?.checkReport ?? null);
      assert.deepEqual(
        Object.fromEntries(Object.entries(items).map(([name, item]) => [name, item.result])),
        {
          reports: 'unchanged',
          worker: 'unchanged',
          web: 'unchanged',
          [handEdit.item]: handEdit.result,
        },
      );
      if (handEdit.steps) {
        assert.deepEqual(items[handEdit.item]?.steps, handEdit.steps(webRole(sim).name));
      }
      assert.deepEqual(
        sim.mutatingSince(mark).filter((call) => !call.startsWith('events:')),
        [],
      );
      assert.match(found.nextSteps[0] ?? '', /demo differ from their desired state/);

      const healed = (await sim.run('drift-check', { heal: true })) as DriftReport;
      assert.equal(healed.clusters[0]?.result, 'healed');
      handEdit.healed(sim);

      const after = (await sim.run('drift-check', {})) as DriftReport;
      assert.deepEqual(after.clusterCounts, IN_SYNC);
      assert.equal(after.driftedItems, 0);
    });
  }

  it('does not count as drift an undeclared association a migration made', async () => {
    // A migration marks its associations managed-by eks-pia, without the ownership tags.
    sim = await simulate(
      WORLD.replace(
        '    namespaces: [default, payments]',
        `    namespaces: [default, payments]
    podIdentityAssociations:
      - {namespace: payments, serviceAccount: migrated, roleArn: "arn:aws:iam::${ACCOUNT}:role/other-reader", tags: {eks-pia/managed-by: eks-pia}}`,
      ),
    );
    const applied = (await sim.run('associations', APPLY)) as {
      undeclared: { serviceAccount: string; createdByEksPia: boolean }[];
    };
    assert.deepEqual(
      applied.undeclared.map(({ serviceAccount, createdByEksPia }) => [
        serviceAccount,
        createdByEksPia,
      ]),
      [['migrated', true]],
    );
    const checked = (await sim.run('drift-check', {})) as DriftReport;
    assert.equal(checked.clusters[0]?.result, 'in sync');
    assert.equal(checked.driftedItems, 0);
  });

  it('counts associations nobody declared as drift, prunes only those eks-pia created, and leaves the rest to people', async () => {
    // payments/legacy was made by someone else before eks-pia came; an add-on's association is
    // the add-on's, never undeclared.
    sim = await simulate(
      WORLD.replace(
        '    namespaces: [default, payments]',
        `    namespaces: [default, payments]
    podIdentityAssociations:
      - {namespace: payments, serviceAccount: legacy, roleArn: "arn:aws:iam::${ACCOUNT}:role/other-reader"}
      - {namespace: kube-system, serviceAccount: ebs-csi-controller-sa, roleArn: "arn:aws:iam::${ACCOUNT}:role/other-reader", ownerArn: "arn:aws:eks:us-west-2:${ACCOUNT}:addon/demo/aws-ebs-csi-driver/abc"}`,
      ),
    );
    const entries = APPLY.config.inline.iam.podIdentityAssociations;
    await sim.run('associations', APPLY);
    // The config then drops payments/worker, applied without prune: its association stays.
    const withoutWorker = {
      ...APPLY,
      config: {
        inline: {
          ...APPLY.config.inline,
          iam: {
            podIdentityAssociations: entries.filter(
              (entry) => entry.serviceAccountName !== 'worker',
            ),
          },
        },
      },
    };
    const applied = (await sim.run('associations', withoutWorker)) as {
      undeclaredCount: number;
      foreignUndeclaredCount: number;
      undeclared: { serviceAccount: string; createdByEksPia: boolean }[];
      nextSteps: string[];
    };
    assert.equal(applied.undeclaredCount, 2);
    assert.deepEqual(
      applied.undeclared.map((entry) => entry.serviceAccount),
      ['legacy', 'worker'],
    );
    assert.ok(
      applied.nextSteps.some((step) =>
        /2 associations of the cluster are in no entry of the config \(payments\/legacy, payments\/worker\)/.test(
          step,
        ),
      ),
    );

    // legacy was made outside eks-pia and no config declares it: drift, whatever the prune, which
    // heal leaves to people. worker was made by an eks-pia run (another config of the cluster may
    // declare it): reported by the apply, not counted as drift.
    assert.equal(applied.foreignUndeclaredCount, 1);
    assert.deepEqual(
      applied.undeclared.map((entry) => entry.createdByEksPia),
      [false, true],
    );
    const mark = sim.simulator.calls.length;
    const unpruned = (await sim.run('drift-check', { heal: true })) as DriftReport;
    assert.equal(unpruned.clusters[0]?.result, 'drifted');
    assert.equal(unpruned.driftedItems, 1);
    assert.deepEqual(unpruned.clusters[0]?.drift, {
      created: 0,
      updated: 0,
      deleted: 0,
      undeclared: 1,
    });
    assert.equal(unpruned.clusters[0]?.healReport, null);
    assert.deepEqual(
      sim.mutatingSince(mark).filter((call) => !call.startsWith('events:')),
      [],
    );
    assert.match(
      unpruned.nextSteps.join('\n'),
      /demo have associations nobody declared: made by hand or by another tool.*heal leaves them alone/,
    );

    // Applied with prune, worker (eks-pia's) goes; legacy (not eks-pia's) is never deleted, and
    // is still drift.
    const prunedApply = (await sim.run('associations', { ...withoutWorker, prune: true })) as {
      nextSteps: string[];
    };
    assert.match(
      prunedApply.nextSteps.join('\n'),
      /payments\/legacy\).*prune leaves them: eks-pia did not create them/,
    );
    assert.equal(association(sim, 'worker'), undefined);
    const pruned = (await sim.run('drift-check', { heal: true })) as DriftReport;
    assert.equal(pruned.driftedItems, 1);
    assert.deepEqual(pruned.clusters[0]?.drift, {
      created: 0,
      updated: 0,
      deleted: 0,
      undeclared: 1,
    });
    assert.equal(pruned.clusters[0]?.result, 'drifted');
    assert.ok(association(sim, 'legacy'));

    // worker's association comes back with eks-pia's ownership tags (restored by hand from a
    // backup): the recorded prune makes it drift heal removes; legacy still stays.
    const reports = association(sim, 'reports');
    assert.ok(reports);
    cluster(sim).podIdentityAssociations.push({
      ...reports,
      associationId: 'a-00restoredworker0',
      serviceAccount: 'worker',
      tags: { ...reports.tags, [OWNERSHIP_TAG_KEYS.serviceAccount]: 'worker' },
    });
    const restored = (await sim.run('drift-check', { heal: true })) as DriftReport;
    assert.deepEqual(restored.clusters[0]?.drift, {
      created: 0,
      updated: 0,
      deleted: 1,
      undeclared: 1,
    });
    assert.equal(restored.clusters[0]?.result, 'drifted');
    assert.equal(association(sim, 'worker'), undefined);
    assert.ok(association(sim, 'legacy'));

    // Once a person deletes it, the cluster is in sync.
    cluster(sim).podIdentityAssociations = cluster(sim).podIdentityAssociations.filter(
      (candidate) => candidate.serviceAccount !== 'legacy',
    );
    const after = (await sim.run('drift-check', {})) as DriftReport;
    assert.equal(after.clusters[0]?.result, 'in sync');
    assert.equal(after.driftedItems, 0);
  });

  it('checks only clusters an apply was recorded for, and not after a dry run', async () => {
    sim = await simulate(WORLD);
    await sim.run('associations', { ...APPLY, dryRun: true });
    const none = (await sim.run('drift-check', {})) as DriftReport;
    assert.equal(none.clusterCounts.checked, 0);
    assert.match(none.nextSteps[0] ?? '', /no managed cluster matched/);
  });

  it('refuses a named cluster that is not managed, and warns of a managed one its tags leave out', async () => {
    sim = await simulate(WORLD);
    await sim.run('associations', { ...APPLY, dryRun: true });
    // demo exists but no apply was recorded for it; nope does not exist at all.
    await assert.rejects(
      sim.run('drift-check', { clusters: 'demo,nope' }),
      (error: unknown) =>
        error instanceof WorkflowFailedError &&
        error.error === 'UnknownClusterError' &&
        error.state === 'List Managed Clusters' &&
        error.cause.includes(
          '2 named clusters are not managed: "demo" (a cluster of region us-west-2, but no apply of a config was recorded for it) and "nope" (no cluster of that name in region us-west-2). Managed clusters: none.',
        ),
    );

    await sim.run('associations', APPLY);
    await assert.rejects(
      sim.run('drift-check', { clusters: 'dmeo' }),
      (error: unknown) =>
        error instanceof WorkflowFailedError && /did you mean "demo"\?/.test(error.cause),
    );
    const guarded = (await sim.run('drift-check', {
      clusters: 'demo,tag:env=prod',
    })) as DriftReport;
    assert.equal(guarded.clusterCounts.checked, 0);
    assert.deepEqual(guarded.warnings, [
      'demo is named in the selector but left out: it has no tag env (the selector wants env=prod)',
    ]);
  });
});
