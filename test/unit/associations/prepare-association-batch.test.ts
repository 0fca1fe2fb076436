import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type PrepareAssociationBatchDeps,
  prepareAssociationBatch,
} from '../../../functions/associations/prepare-association-batch/prepare-association-batch.ts';
import type { DesiredAssociation } from '../../../functions/core/associations/desired.ts';
import type {
  ExistingAssociation,
  ExistingRole,
} from '../../../functions/core/associations/existing.ts';
import {
  DEFAULT_ASSIGNABLE_ROLE_TAG,
  DEFAULT_GUARDRAILS,
} from '../../../functions/core/associations/guardrails.ts';
import { roleUsageKey } from '../../../functions/core/associations/plan.ts';
import type { BatchDocument, RoleUsage } from '../../../functions/core/associations/run-plan.ts';
import type { EksctlRoleStack } from '../../../functions/core/eksctl-stacks.ts';
import type { PolicyDocument } from '../../../functions/core/policy-document.ts';
import {
  ACCOUNT,
  association,
  batchRequest,
  CLUSTER,
  desired,
  foreignRole,
  managedDesired,
  OTHER_ROLE,
  roleFromSpec,
  USER_ROLE,
} from './fixtures.ts';

// team/x-app and team-x/app: eksctl gives both associations' role stacks this name.
const STACK = 'eksctl-demo-podidentityrole-team-x-app';
const STACK_ROLE = `arn:aws:iam::${ACCOUNT}:role/eksctl-demo-podidentityrole-team-Role1-A1B2C3`;
const OWN_ROLE = `arn:aws:iam::${ACCOUNT}:role/x-app-own-role`;
const ASSOCIATION_ID = 'a-0123456789abcdef0';

function stackTaggedFor(owner: string): EksctlRoleStack {
  return {
    stackName: STACK,
    tags: {
      'alpha.eksctl.io/cluster-name': CLUSTER,
      'eksctl.cluster.k8s.io/v1alpha1/cluster-name': CLUSTER,
      'alpha.eksctl.io/podidentityassociation-name': owner,
    },
    roleArn: STACK_ROLE,
  };
}

/**
 * A delete batch of team/x-app, against the world given: its association (when `existing`), the
 * stack found under its name, and which role each of the cluster's associations uses.
 */
function run(options: {
  stack: EksctlRoleStack;
  existing?: ExistingAssociation;
  roleUsage: RoleUsage;
  dryRun?: boolean;
}) {
  const { existing, roleUsage } = options;
  // As plan-associations writes it: the usage of the roles the batch's associations use.
  const covered = existing === undefined ? [] : [roleUsageKey(existing.roleArn)];
  const document: BatchDocument = {
    batch: 0,
    request: batchRequest('delete', [desired({ namespace: 'team', serviceAccountName: 'x-app' })], {
      dryRun: options.dryRun ?? false,
    }),
    items: [
      {
        kind: 'entry',
        entryIndex: 0,
        namespace: 'team',
        serviceAccount: 'x-app',
        associationId: existing?.associationId,
      },
    ],
    roleUsage: {
      roles: covered,
      associations: roleUsage.filter((used) => covered.includes(roleUsageKey(used.roleArn))),
    },
  };
  const deleted: { stackName: string; owner: string }[] = [];
  const deps: PrepareAssociationBatchDeps = {
    guardrails: { ...DEFAULT_GUARDRAILS, allowedNamespaces: ['team'] },
    policyDocument: async () => undefined,
    loadBatch: async () => ({
      value: document,
      sealed: { location: 'runs/r-1/batch-0.json', sha256: 'sealed' },
    }),
    loadRoleUsage: async () => roleUsage,
    getRoleTrust: async () => undefined,
    describeAssociation: async (_cluster, id) => (id === ASSOCIATION_ID ? existing : undefined),
    findEksctlRoleStack: async () => options.stack,
    deleteEksctlRoleStack: async (stackName, _cluster, owner) => {
      deleted.push({ stackName, owner: `${owner?.namespace}/${owner?.serviceAccount}` });
    },
  };
  return {
    deleted,
    prepared: prepareAssociationBatch(
      {
        runId: 'r-1',
        batch: 0,
        dryRun: options.dryRun ?? false,
        clusterName: CLUSTER,
        operation: 'delete',
      },
      deps,
    ),
  };
}

describe("prepare-association-batch: a delete's eksctl role stack", () => {
  it('is not deleted when its tag names another association whose stack has the same name, though this association does not exist', async () => {
    const { deleted, prepared } = run({
      stack: stackTaggedFor('team-x/app'),
      roleUsage: [{ namespace: 'team-x', serviceAccount: 'app', roleArn: STACK_ROLE }],
    });
    const [finding] = (await prepared).eksctlStacks;
    assert.deepEqual(deleted, []);
    assert.equal(finding?.deleted, undefined);
    assert.equal(finding?.stackName, STACK);
    assert.match(
      finding?.notOwned ?? '',
      /its tag alpha.eksctl.io\/podidentityassociation-name names "team-x\/app", not "team\/x-app"/,
    );
  });

  it('is not deleted when it has no tag naming this association', async () => {
    const { tags: _tags, ...untagged } = stackTaggedFor('team/x-app');
    const { deleted, prepared } = run({
      stack: { ...untagged, tags: { 'alpha.eksctl.io/cluster-name': CLUSTER } },
      roleUsage: [],
    });
    const [finding] = (await prepared).eksctlStacks;
    assert.deepEqual(deleted, []);
    assert.match(
      finding?.notOwned ?? '',
      /has no alpha.eksctl.io\/podidentityassociation-name tag/,
    );
  });

  it('is not deleted when another association uses its role, though this association is gone', async () => {
    const { deleted, prepared } = run({
      stack: stackTaggedFor('team/x-app'),
      roleUsage: [{ namespace: 'team-y', serviceAccount: 'reuse', roleArn: STACK_ROLE }],
    });
    const [finding] = (await prepared).eksctlStacks;
    assert.deepEqual(deleted, []);
    assert.equal(finding?.notOwned, undefined);
    assert.equal(finding?.roleInUseElsewhere, true);
    assert.equal(finding?.roleArn, STACK_ROLE);
  });

  it('is not deleted when another association uses its role while this association uses a role of its own', async () => {
    const { deleted, prepared } = run({
      stack: stackTaggedFor('team/x-app'),
      existing: association({
        associationId: ASSOCIATION_ID,
        namespace: 'team',
        serviceAccount: 'x-app',
        roleArn: OWN_ROLE,
      }),
      roleUsage: [
        { namespace: 'team', serviceAccount: 'x-app', roleArn: OWN_ROLE },
        { namespace: 'team-y', serviceAccount: 'reuse', roleArn: STACK_ROLE },
      ],
    });
    const [finding] = (await prepared).eksctlStacks;
    assert.deepEqual(deleted, []);
    assert.equal(finding?.roleInUseElsewhere, true);
  });

  it('is deleted when its tag names this association and no association uses its role: a rerun finishes an interrupted delete', async () => {
    const { deleted, prepared } = run({
      stack: stackTaggedFor('team/x-app'),
      roleUsage: [{ namespace: 'team-x', serviceAccount: 'other', roleArn: OWN_ROLE }],
    });
    const [finding] = (await prepared).eksctlStacks;
    assert.deepEqual(deleted, [{ stackName: STACK, owner: 'team/x-app' }]);
    assert.equal(finding?.deleted, true);
    assert.equal(finding?.roleInUseElsewhere, false);
  });

  it('is judged but not deleted in a dry run, so the dry run reports what the run would do', async () => {
    const { deleted, prepared } = run({
      stack: stackTaggedFor('team-x/app'),
      roleUsage: [],
      dryRun: true,
    });
    const [finding] = (await prepared).eksctlStacks;
    assert.deepEqual(deleted, []);
    assert.match(finding?.notOwned ?? '', /names "team-x\/app"/);
  });
});

describe("prepare-association-batch: a roleARN allowed only as the association's current role", () => {
  const IRSA_ROLE = `arn:aws:iam::${ACCOUNT}:role/teams/ledger-writer`;

  /**
   * An update batch of default/app to the untagged IRSA_ROLE, whose item names `associationId`,
   * against the association EKS describes under that id (when any).
   */
  function recheck(options: { associationId?: string; described?: ExistingAssociation }) {
    const described: string[] = [];
    const document: BatchDocument = {
      batch: 0,
      request: batchRequest('update', [desired({ roleARN: IRSA_ROLE, disableSessionTags: true })], {
        dryRun: true,
        source: { kind: 'flags' },
      }),
      items: [
        {
          kind: 'entry',
          entryIndex: 0,
          namespace: 'default',
          serviceAccount: 'app',
          associationId: options.associationId,
        },
      ],
    };
    const deps: PrepareAssociationBatchDeps = {
      guardrails: DEFAULT_GUARDRAILS,
      policyDocument: async () => undefined,
      loadBatch: async () => ({
        value: document,
        sealed: { location: 'runs/r-1/batch-0.json', sha256: 'sealed' },
      }),
      loadRoleUsage: async () => [],
      // The role exists, untagged: the guardrails allow it only as the association's own.
      getRoleTrust: async (name) => ({
        name,
        tags: { team: 'payments' },
        trustPolicy: foreignRole().trustPolicy,
      }),
      describeAssociation: async (cluster, id) => {
        described.push(`${cluster}/${id}`);
        return id === options.described?.associationId ? options.described : undefined;
      },
      findEksctlRoleStack: async () => undefined,
      deleteEksctlRoleStack: async () => assert.fail('an update deletes no stack'),
    };
    const input = {
      runId: 'r-1',
      batch: 0,
      dryRun: true,
      clusterName: CLUSTER,
      operation: 'update' as const,
    };
    return { described, prepared: prepareAssociationBatch(input, deps) };
  }

  it('passes when EKS says the association the item names has the role now', async () => {
    const { described, prepared } = recheck({
      associationId: ASSOCIATION_ID,
      described: association({ roleArn: IRSA_ROLE }),
    });
    await prepared;
    assert.deepEqual(described, [`${CLUSTER}/${ASSOCIATION_ID}`]);
  });

  it('is refused when the association has another role now', async () => {
    const { prepared } = recheck({ associationId: ASSOCIATION_ID, described: association() });
    await assert.rejects(prepared, (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'RunDocumentTamperedError');
      assert.match(
        error.message,
        /role arn:aws:iam::111122223333:role\/teams\/ledger-writer may not be associated: .*\(the association of default\/app has role arn:aws:iam::111122223333:role\/app-role now, not this one\)/,
      );
      return true;
    });
  });

  it('is refused when the item names another association that has the role, or none', async () => {
    // A document edited to point the item at another service account's association.
    const elsewhere = recheck({
      associationId: ASSOCIATION_ID,
      described: association({ serviceAccount: 'ledger', roleArn: IRSA_ROLE }),
    });
    await assert.rejects(elsewhere.prepared, { name: 'RunDocumentTamperedError' });
    const none = recheck({});
    await assert.rejects(none.prepared, /has no pod identity association yet/);
    assert.deepEqual(none.described, []);
  });
});

describe("prepare-association-batch: eksctl's role stacks of an apply", () => {
  const ASSIGNABLE = { [DEFAULT_ASSIGNABLE_ROLE_TAG.key]: DEFAULT_ASSIGNABLE_ROLE_TAG.value };

  /**
   * An apply batch of the entries given, each against its association (default/<name>), every one
   * with a stack eksctl made under its name; which stacks were looked up, which associations
   * described, and what the batch found.
   */
  async function prepareApply(
    items: { name: string; entry: DesiredAssociation; existing: ExistingAssociation }[],
    roles: Record<string, Pick<ExistingRole, 'name' | 'tags' | 'trustPolicy'>>,
  ) {
    const document: BatchDocument = {
      batch: 0,
      request: batchRequest(
        'apply',
        items.map(({ name, entry }) => ({ ...entry, serviceAccount: name })),
      ),
      items: items.map(({ name }, index) => ({
        kind: 'entry',
        entryIndex: index,
        namespace: 'default',
        serviceAccount: name,
        associationId: `a-${index}`,
      })),
    };
    const lookedUp: string[] = [];
    const described: string[] = [];
    const deps: PrepareAssociationBatchDeps = {
      guardrails: DEFAULT_GUARDRAILS,
      policyDocument: async () => undefined,
      loadBatch: async () => ({
        value: document,
        sealed: { location: 'runs/r-1/batch-0.json', sha256: 'sealed' },
      }),
      loadRoleUsage: async () => [],
      getRoleTrust: async (name) => roles[name],
      describeAssociation: async (_cluster, id) => {
        described.push(id);
        const index = Number(id.slice(2));
        const item = items[index];
        return item && { ...item.existing, associationId: id, serviceAccount: item.name };
      },
      findEksctlRoleStack: async (_cluster, namespace, serviceAccount) => {
        lookedUp.push(`${namespace}/${serviceAccount}`);
        return {
          stackName: `eksctl-demo-podidentityrole-${namespace}-${serviceAccount}`,
          tags: {},
        };
      },
      deleteEksctlRoleStack: async () => assert.fail('an apply deletes no stack'),
    };
    const prepared = await prepareAssociationBatch(
      { runId: 'r-1', batch: 0, dryRun: false, clusterName: CLUSTER, operation: 'apply' },
      deps,
    );
    return { lookedUp: lookedUp.sort(), described, found: prepared.eksctlStacks };
  }

  it('looks up none for a rerun, whose entries name the roles their associations have', async () => {
    const { desired: managed, spec } = managedDesired({ serviceAccountName: 'owned' });
    const { lookedUp, described, found } = await prepareApply(
      [
        { name: 'keep', entry: desired({ roleARN: USER_ROLE }), existing: association() },
        { name: 'owned', entry: managed, existing: association({ roleArn: spec.arn }) },
      ],
      {
        'app-role': { name: 'app-role', tags: ASSIGNABLE, trustPolicy: foreignRole().trustPolicy },
        [spec.roleName]: roleFromSpec(spec),
      },
    );
    assert.deepEqual(lookedUp, []);
    assert.deepEqual(found, []);
    assert.deepEqual(described.sort(), ['a-0', 'a-1']);
  });

  it('looks one up for an entry that would give its association another role, so the swap is refused as before', async () => {
    const { lookedUp, found } = await prepareApply(
      [
        { name: 'keep', entry: desired({ roleARN: USER_ROLE }), existing: association() },
        { name: 'swap', entry: desired({ roleARN: OTHER_ROLE }), existing: association() },
      ],
      {
        'app-role': { name: 'app-role', tags: ASSIGNABLE, trustPolicy: foreignRole().trustPolicy },
        'other-role': {
          name: 'other-role',
          tags: ASSIGNABLE,
          trustPolicy: foreignRole().trustPolicy,
        },
      },
    );
    assert.deepEqual(lookedUp, ['default/swap']);
    assert.deepEqual(found, [
      {
        namespace: 'default',
        serviceAccount: 'swap',
        stackName: 'eksctl-demo-podidentityrole-default-swap',
      },
    ]);
  });
});

describe('prepare-association-batch: the roles the entries name by roleARN', () => {
  it("hands apply-association-batch each role's trust as the guardrail check read it, one GetRole per role", async () => {
    const shared = `arn:aws:iam::${ACCOUNT}:role/shared`;
    const entries = [
      desired({ serviceAccountName: 'a', roleARN: shared }),
      desired({ serviceAccountName: 'b', roleARN: shared }),
      desired({ serviceAccountName: 'c', roleARN: `arn:aws:iam::${ACCOUNT}:role/ec2-only` }),
      desired({ serviceAccountName: 'd', roleARN: `arn:aws:iam::${ACCOUNT}:role/missing` }),
    ];
    const document: BatchDocument = {
      batch: 0,
      request: batchRequest('create', entries, { source: { kind: 'flags' } }),
      items: entries.map((entry, entryIndex) => ({
        kind: 'entry' as const,
        entryIndex,
        namespace: entry.namespace,
        serviceAccount: entry.serviceAccount,
      })),
    };
    const reads: string[] = [];
    const ec2Trust: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    };
    const optedIn = { [DEFAULT_ASSIGNABLE_ROLE_TAG.key]: DEFAULT_ASSIGNABLE_ROLE_TAG.value };
    const prepared = await prepareAssociationBatch(
      { runId: 'r-1', batch: 0, dryRun: false, clusterName: CLUSTER, operation: 'create' },
      {
        guardrails: DEFAULT_GUARDRAILS,
        policyDocument: async () => undefined,
        loadBatch: async () => ({
          value: document,
          sealed: { location: 'runs/r-1/batch-0.json', sha256: 'sealed' },
        }),
        loadRoleUsage: async () => assert.fail('a create keeps no role usage'),
        getRoleTrust: async (name) => {
          reads.push(name);
          if (name === 'missing') return undefined;
          const trustPolicy = name === 'ec2-only' ? ec2Trust : foreignRole().trustPolicy;
          return { name, tags: optedIn, trustPolicy };
        },
        describeAssociation: async () => undefined,
        findEksctlRoleStack: async () => undefined,
        deleteEksctlRoleStack: async () => assert.fail('a create deletes no stack'),
      },
    );
    assert.deepEqual(
      [...prepared.roles].sort((a, b) => a.name.localeCompare(b.name)),
      [
        {
          name: 'ec2-only',
          exists: true,
          missingTrustActions: ['sts:AssumeRole', 'sts:TagSession'],
        },
        { name: 'missing', exists: false, missingTrustActions: [] },
        { name: 'shared', exists: true, missingTrustActions: [] },
      ],
    );
    assert.deepEqual(reads.sort(), ['ec2-only', 'missing', 'shared']);
  });
});
