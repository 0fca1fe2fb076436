// When an add-on gets pod identity associations from addonsConfig.autoApplyPodIdentityAssociations
// and useDefaultPodIdentityAssociations, held to eksctl's pkg/actions/addon create.go and
// update.go (and their tests) where it is not a deliberate difference.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AddonFacts,
  type AddonRequest,
  decideAddon,
  desiredAddonsFromConfig,
  type ExistingAddon,
} from '../../functions/core/addon-plan.ts';
import type { AddonConfig, ConfigIssue, Operation } from '../../functions/core/config/index.ts';
import { roleNameFor } from '../../functions/core/naming.ts';

const ACCOUNT = '111122223333';
const CLUSTER = 'demo';
const EBS_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy';
const CONTROLLER = 'ebs-csi-controller-sa';
const IRSA_ROLE = `arn:aws:iam::${ACCOUNT}:role/ebs-irsa`;
const POD_ROLE = `arn:aws:iam::${ACCOUNT}:role/ebs-pods`;
const roleContext = { clusterName: CLUSTER, partition: 'aws' as const, account: ACCOUNT };

function request(addon: Partial<AddonConfig>, autoApply: boolean) {
  return desiredAddonsFromConfig(
    [{ name: 'aws-ebs-csi-driver', ...addon }],
    { autoApplyPodIdentityAssociations: autoApply },
    roleContext,
  );
}

const installed: ExistingAddon = {
  arn: `arn:aws:eks:us-west-2:${ACCOUNT}:addon/${CLUSTER}/aws-ebs-csi-driver/x`,
  version: 'v1.35.0-eksbuild.1',
  status: 'ACTIVE',
  associations: [
    {
      associationId: 'a-1',
      namespace: 'kube-system',
      serviceAccount: CONTROLLER,
      roleArn: POD_ROLE,
    },
  ],
};

function decide(
  built: { request: AddonRequest },
  operation: Operation,
  existing?: ExistingAddon,
): { decision: ReturnType<typeof decideAddon>; issues: ConfigIssue[] } {
  const facts: AddonFacts = {
    existing,
    targetVersion: 'v1.35.0-eksbuild.1',
    podIdentityConfiguration: [
      { serviceAccount: CONTROLLER, recommendedManagedPolicies: [EBS_POLICY] },
    ],
    namespace: 'kube-system',
    ipFamily: 'ipv4',
    roles: {},
  };
  const issues: ConfigIssue[] = [];
  const addon = built.request.addons[0];
  assert.ok(addon);
  return { decision: decideAddon(addon, facts, operation, built.request, issues), issues };
}

describe('auto-apply on creation', () => {
  it('gives an add-on with nothing set its recommended associations', () => {
    const { decision, issues } = decide(request({}, true), 'create');
    assert.deepEqual(issues, []);
    assert.deepEqual(
      decision?.createRoles.map((role) => [role.roleName, role.managedPolicyArns]),
      [[roleNameFor(CLUSTER, 'kube-system', CONTROLLER), [EBS_POLICY]]],
    );
    assert.deepEqual(
      decision?.associations?.map((association) => association.serviceAccount),
      [CONTROLLER],
    );
  });

  it('leaves an add-on with serviceAccountRoleARN to IRSA, as eksctl does', () => {
    const { decision, issues } = decide(
      request({ serviceAccountRoleARN: IRSA_ROLE }, true),
      'create',
    );
    assert.deepEqual(issues, []);
    assert.equal(decision?.associations, undefined);
    assert.deepEqual(decision?.createRoles, []);
    assert.equal(decision?.serviceAccountRoleArn, IRSA_ROLE);
  });

  for (const [field, value] of [
    ['attachPolicyARNs', [EBS_POLICY]],
    ['attachPolicy', { Version: '2012-10-17', Statement: [] }],
    ['wellKnownPolicies', { ebsCSIController: true }],
  ] as const) {
    it(`builds nothing for an add-on with ${field} (eksctl makes an IRSA role of it instead), and warns`, () => {
      const built = request({ [field]: value }, true);
      assert.equal(built.warnings.length, 1);
      assert.match(
        built.warnings[0] ?? '',
        /^addons\[0\]: attachPolicyARNs, attachPolicy and wellKnownPolicies .* are ignored, and as in eksctl they also keep addonsConfig\.autoApplyPodIdentityAssociations from giving the add-on its recommended associations, so eks-pia gives it no role/,
      );
      const { decision, issues } = decide(built, 'create');
      assert.deepEqual(issues, []);
      assert.equal(decision?.associations, undefined);
      assert.deepEqual(decision?.createRoles, []);
    });
  }

  it('keeps the plain warning about IRSA policies when auto-apply is off', () => {
    const { warnings } = request({ attachPolicyARNs: [EBS_POLICY] }, false);
    assert.equal(warnings.length, 1);
    assert.doesNotMatch(warnings[0] ?? '', /autoApply/);
  });

  it('reads podIdentityAssociations: [] as "none" (eksctl would auto-apply), and says so', () => {
    const built = request({ podIdentityAssociations: [] }, true);
    assert.deepEqual(built.warnings, [
      'addons[0].podIdentityAssociations: [] gives the add-on no pod identity associations (an update removes those it has), whatever addonsConfig.autoApplyPodIdentityAssociations says; eksctl would instead apply the recommended ones on creation and keep the existing ones on update',
    ]);
    const { decision, issues } = decide(built, 'create');
    assert.deepEqual(issues, []);
    assert.deepEqual(decision?.associations, []);
    assert.deepEqual(decision?.createRoles, []);
  });

  it('does not warn about [] beside useDefaultPodIdentityAssociations, which wins', () => {
    const built = request(
      { podIdentityAssociations: [], useDefaultPodIdentityAssociations: true },
      true,
    );
    assert.deepEqual(built.warnings, []);
  });
});

describe('auto-apply on update', () => {
  it('keeps the associations of an add-on that leaves podIdentityAssociations out (eksctl update_test.go)', () => {
    const { decision, issues } = decide(request({}, true), 'update', installed);
    assert.deepEqual(issues, []);
    assert.equal(decision?.action, 'unchanged');
    assert.equal(decision?.associations, undefined);
    assert.deepEqual(decision?.deleteRoles, []);
  });

  it('still refuses that silence without auto-apply', () => {
    const { decision, issues } = decide(request({}, false), 'update', installed);
    assert.equal(decision, undefined);
    assert.match(issues[0]?.message ?? '', /must be explicitly set to \[\]/);
  });

  it('refuses IRSA settings beside the associations the add-on keeps, as eksctl does', () => {
    for (const addon of [
      { serviceAccountRoleARN: IRSA_ROLE },
      { attachPolicyARNs: [EBS_POLICY] },
    ] satisfies Partial<AddonConfig>[]) {
      const { decision, issues } = decide(request(addon, true), 'update', installed);
      assert.equal(decision, undefined);
      assert.deepEqual(issues, [
        {
          path: 'addons[0]',
          message:
            'cannot set IRSA config (`addon.serviceAccountRoleARN`, `addon.attachPolicyARNs`, `addon.attachPolicy`, `addon.wellKnownPolicies`) if addon has existing pod identity associations (addon: aws-ebs-csi-driver)',
        },
      ]);
    }
  });

  it('adds no association to an installed add-on that has none: auto-apply acts on creation only', () => {
    const { decision, issues } = decide(request({}, true), 'update', {
      ...installed,
      associations: [],
    });
    assert.deepEqual(issues, []);
    assert.equal(decision?.associations, undefined);
    assert.deepEqual(decision?.createRoles, []);
  });

  it('removes them all for podIdentityAssociations: [] (eksctl would ignore the list under auto-apply)', () => {
    const { decision, issues } = decide(
      request({ podIdentityAssociations: [] }, true),
      'update',
      installed,
    );
    assert.deepEqual(issues, []);
    assert.deepEqual(decision?.associations, []);
  });

  it('moves an installed add-on to its recommended associations for useDefaultPodIdentityAssociations', () => {
    const { decision, issues } = decide(
      request({ useDefaultPodIdentityAssociations: true }, false),
      'update',
      { ...installed, associations: [] },
    );
    assert.deepEqual(issues, []);
    assert.equal(decision?.action, 'update');
    assert.deepEqual(
      decision?.associations?.map((association) => association.serviceAccount),
      [CONTROLLER],
    );
  });
});
