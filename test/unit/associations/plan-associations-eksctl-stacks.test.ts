import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type PlanDeps,
  planAssociations,
} from '../../../functions/associations/plan-associations/plan-associations.ts';
import type { DesiredAssociation } from '../../../functions/core/associations/desired.ts';
import type {
  ExistingAssociation,
  ExistingRole,
} from '../../../functions/core/associations/existing.ts';
import {
  decideItem,
  decisionReadsEksctlStack,
  type ItemOperation,
} from '../../../functions/core/associations/plan.ts';
import type { AssociationRequest } from '../../../functions/core/associations/request.ts';
import type { PlanDocument } from '../../../functions/core/associations/run-plan.ts';
import { ownershipTags } from '../../../functions/core/naming.ts';
import {
  association,
  batchRequest,
  CLUSTER,
  desired,
  foreignRole,
  managedDesired,
  OTHER_ROLE,
  ownedAssociation,
  roleFromSpec,
  SESSION_POLICY,
  USER_ROLE,
} from './fixtures.ts';

const STACK = { stackName: 'eksctl-demo-podidentityrole-default-app' };

describe('decisionReadsEksctlStack', () => {
  const { desired: managed, spec } = managedDesired();
  const entries: Record<string, DesiredAssociation> = {
    'names the current role': desired({ roleARN: USER_ROLE }),
    'names another role': desired({ roleARN: OTHER_ROLE }),
    'names no role': desired({ disableSessionTags: true }),
    'names no role, with a session policy': desired({ policy: SESSION_POLICY }),
    'asks for a role eks-pia makes': managed,
    'asks for that role by its ARN too': desired({
      roleARN: spec.arn,
      permissionPolicyARNs: spec.managedPolicyArns,
    }),
  };
  const associations: Record<string, ExistingAssociation | undefined> = {
    none: undefined,
    'with a role someone made': association(),
    'made by eks-pia': ownedAssociation(),
    'with the role eks-pia makes': association({ roleArn: spec.arn }),
    "of an add-on's": association({ ownerArn: 'arn:aws:eks:us-west-2:1:addon/demo/x/y' }),
  };
  const roles: Record<string, ExistingRole | undefined> = {
    none: undefined,
    'someone else made': foreignRole(),
    'eks-pia made for it': roleFromSpec(spec),
    "eks-pia made for another's": {
      ...roleFromSpec(spec),
      tags: ownershipTags(CLUSTER, 'default', 'other'),
    },
  };
  const operations: ItemOperation[] = ['create', 'update', 'apply', 'delete', 'prune'];

  it('where it says no, decideItem decides alike with and without the stack, for every operation, entry, association and role', async () => {
    let unread = 0;
    for (const operation of operations)
      for (const [entryName, entry] of Object.entries(entries))
        for (const [associationName, existing] of Object.entries(associations))
          for (const [roleName, role] of Object.entries(roles)) {
            if (operation === 'prune' && existing === undefined) continue;
            const state = { operation, clusterName: CLUSTER, desired: entry, existing, role };
            if (await decisionReadsEksctlStack(state, async () => role)) continue;
            unread += 1;
            const decide = (eksctlStack: typeof STACK | undefined) =>
              operation === 'prune'
                ? decideItem({ ...state, operation, existing: existing as ExistingAssociation })
                : decideItem({ ...state, operation, eksctlStack });
            assert.deepEqual(
              decide(STACK),
              decide(undefined),
              `${operation}, entry ${entryName}, association ${associationName}, role ${roleName}`,
            );
          }
    assert.ok(unread > 0);
  });

  it('says yes for a delete, and for an update or apply that would give an association eksctl may have made another role, or none', async () => {
    const reads = (operation: ItemOperation, entry: DesiredAssociation) =>
      decisionReadsEksctlStack(
        { operation, clusterName: CLUSTER, desired: entry, existing: association() },
        async () => foreignRole(),
      );
    assert.equal(await reads('delete', desired()), true);
    for (const operation of ['update', 'apply'] as const) {
      assert.equal(await reads(operation, desired({ roleARN: OTHER_ROLE })), true);
      assert.equal(await reads(operation, managed), true);
      assert.equal(await reads(operation, desired({ roleARN: USER_ROLE })), false);
    }
    assert.equal(await reads('update', desired({ disableSessionTags: true })), true);
  });
});

/**
 * An update of the entries given, each against its association (default/<name>, every one with a
 * stack eksctl made under its name), planned; which stacks were looked up and which entries the
 * plan refused.
 */
async function planUpdate(
  items: { name: string; entry: DesiredAssociation; existing: ExistingAssociation }[],
  roles: Record<string, ExistingRole>,
) {
  const request: AssociationRequest = {
    ...batchRequest(
      'update',
      items.map(({ name, entry }) => ({ ...entry, serviceAccount: name })),
    ),
    warnings: [],
  };
  const described = items.map(({ name, existing }, index) => ({
    ...existing,
    associationId: `a-${index}`,
    serviceAccount: name,
  }));
  const lookedUp: string[] = [];
  let plan: PlanDocument | undefined;
  const deps: PlanDeps = {
    loadAssociationRequest: async () => request,
    listAssociations: async () => described,
    describeAll: async (_cluster, ids) =>
      described.filter((one) => ids.includes(one.associationId)),
    getRoleState: async (name) => roles[name],
    findEksctlRoleStack: async (_cluster, namespace, serviceAccount) => {
      lookedUp.push(`${namespace}/${serviceAccount}`);
      return {
        stackName: `eksctl-demo-podidentityrole-${namespace}-${serviceAccount}`,
        tags: {},
      };
    },
    savePlan: async (_runId, saved) => {
      plan = saved;
      return 'plan';
    },
    saveBatch: async () => 'batch',
    saveRoleUsage: async () => 'role-usage',
    listRoleNames: async () => assert.fail('a real update lists no role names'),
  };
  await planAssociations('r-1', deps);
  return { lookedUp: lookedUp.sort(), refused: plan?.refused ?? [] };
}

describe("plan-associations: eksctl's role stacks of an update", () => {
  it('are looked up only for the entries whose decision they can change, and refuse a swap of the role eksctl made as before', async () => {
    const { desired: managed, spec } = managedDesired({ serviceAccountName: 'owned' });
    const { lookedUp, refused } = await planUpdate(
      [
        { name: 'keep', entry: desired({ roleARN: USER_ROLE }), existing: association() },
        { name: 'swap', entry: desired({ roleARN: OTHER_ROLE }), existing: association() },
        { name: 'fields', entry: desired({ disableSessionTags: true }), existing: association() },
        { name: 'owned', entry: managed, existing: association({ roleArn: spec.arn }) },
      ],
      {
        'app-role': foreignRole(),
        'other-role': foreignRole(OTHER_ROLE),
        [spec.roleName]: roleFromSpec(spec),
      },
    );
    assert.deepEqual(lookedUp, ['default/fields', 'default/swap']);
    assert.deepEqual(
      refused.map((entry) => `${entry.serviceAccount}: ${entry.reason}`),
      [
        'swap: error updating pod identity association "default/swap": cannot change podIdentityAssociation.roleARN since the role was created by eksctl (CloudFormation stack "eksctl-demo-podidentityrole-default-swap")',
      ],
    );
  });
});
