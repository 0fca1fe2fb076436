import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ExistingRole } from '../../../functions/core/associations/existing.ts';
import {
  decideItem,
  type EksctlStackState,
  hasRoleChanges,
  type ItemAction,
  type ItemDecision,
  type ItemResultKind,
  type ItemState,
  needsKubernetes,
  pruneCandidates,
  roleChangeSteps,
  roleChanges,
  roleNameToInspect,
  roleToCreate,
  roleUsedElsewhere,
  sessionPoliciesEqual,
} from '../../../functions/core/associations/plan.ts';
import { ownershipTags, SERVICE_ACCOUNT_CREATED_TAG } from '../../../functions/core/naming.ts';
import { type PolicyStatement, statementsOf } from '../../../functions/core/policy-document.ts';
import { podIdentityTrustStatement } from '../../../functions/core/trust-policy.ts';
import {
  association,
  CLUSTER,
  desired,
  EKSCTL_SA,
  foreignRole,
  HELM_SA,
  LABELLED_SA,
  managedDesired,
  NAMESPACE,
  OTHER_ROLE,
  ownedAssociation,
  roleFromSpec,
  S3_READ,
  SERVICE_ACCOUNT,
  SESSION_POLICY,
  SQS_READ,
  TARGET_ROLE,
  UNLABELLED_SA,
  USER_ROLE,
} from './fixtures.ts';

interface Row {
  name: string;
  state: () => ItemState;
  action: ItemAction;
  result: ItemResultKind;
  reason?: RegExp;
  check?: (decision: ItemDecision) => void;
}

const managed = managedDesired();
const ownedRole = roleFromSpec(managed.spec);
const ownedManagedAssociation = ownedAssociation({ roleArn: managed.spec.arn });

/** A statement added by hand to a role's trust: another account may assume the role. */
const FOREIGN_TRUST: PolicyStatement = {
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::444455556666:root' },
  Action: 'sts:AssumeRole',
};
/** An inline policy added by hand. */
const ESCALATE = {
  name: 'escalate',
  document: {
    Version: '2012-10-17' as const,
    Statement: [{ Effect: 'Allow' as const, Action: '*', Resource: '*' }],
  },
};

function withTrust(role: ExistingRole, ...statements: PolicyStatement[]): ExistingRole {
  return { ...role, trustPolicy: { Version: '2012-10-17', Statement: statements } };
}

/**
 * An association whose role eksctl's pod identity role stack created; for a delete, the stack's
 * tags show it is this association's, and no other association uses its role.
 */
function eksctlOwned(
  operation: 'update' | 'delete',
  fields: Parameters<typeof desired>[0],
  stack: Partial<EksctlStackState> = {},
): ItemState {
  return {
    operation,
    clusterName: CLUSTER,
    desired: desired(fields),
    existing: association(),
    role: foreignRole(),
    eksctlStack: {
      stackName: 'eksctl-demo-podidentityrole-default-app',
      ...(operation === 'delete' ? { roleArn: USER_ROLE, roleInUseElsewhere: false } : {}),
      ...stack,
    },
  };
}

const rows: Row[] = [
  // --- create ---------------------------------------------------------------------------------
  {
    name: 'create, absent, roleARN: creates the association with the given role and ownership tags',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, tags: { team: 'a' } }),
    }),
    action: 'create',
    result: 'created',
    check: (decision) => {
      assert.equal(decision.changes.createRole, undefined);
      assert.deepEqual(decision.changes.createAssociation, {
        roleArn: USER_ROLE,
        tags: { team: 'a', ...ownershipTags(CLUSTER, NAMESPACE, SERVICE_ACCOUNT) },
      });
      assert.deepEqual(decision.steps, [
        `create pod identity association for service account "default/app"`,
      ]);
    },
  },
  {
    name: 'create, absent, permissions: creates the role first, then the association with its ARN',
    state: () => ({ operation: 'create', clusterName: CLUSTER, desired: managed.desired }),
    action: 'create',
    result: 'created',
    check: (decision) => {
      assert.equal(decision.changes.createRole, managed.spec);
      assert.equal(decision.changes.createAssociation?.roleArn, managed.spec.arn);
      assert.equal(decision.roleName, managed.spec.roleName);
      assert.match(decision.steps[0] ?? '', /^create IAM role "eks-pia-demo-default-app-/);
      assert.match(decision.steps[1] ?? '', /^create pod identity association/);
    },
  },
  {
    name: 'create, absent, its owned role left by an interrupted run: reuses the role without changes',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: managed.desired,
      role: ownedRole,
    }),
    action: 'create',
    result: 'created',
    reason: /earlier run/,
    check: (decision) => {
      assert.equal(decision.changes.createRole, undefined);
      assert.equal(decision.changes.role, undefined);
      assert.equal(decision.changes.createAssociation?.roleArn, ownedRole.arn);
    },
  },
  {
    name: 'create, absent, owned role half-built by an interrupted run: finishes the role',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: managed.desired,
      role: { ...ownedRole, attachedPolicyArns: [] },
    }),
    action: 'create',
    result: 'created',
    check: (decision) => assert.deepEqual(decision.changes.role?.attach, [S3_READ]),
  },
  {
    name: 'create, absent, a role of that name that eks-pia does not own: conflict, nothing changes',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: managed.desired,
      role: { ...ownedRole, tags: { team: 'x' } },
    }),
    action: 'conflict',
    result: 'failed',
    reason: /already exists and was not created by eks-pia.*choose another roleName/,
    check: (decision) => {
      assert.equal(decision.changes.createRole, undefined);
      assert.equal(decision.changes.createAssociation, undefined);
    },
  },
  {
    name: 'create, absent, createServiceAccount and no service account: creates it before the association',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, createServiceAccount: true }),
    }),
    action: 'create',
    result: 'created',
    check: (decision) => {
      assert.equal(decision.changes.createServiceAccount, true);
      assert.deepEqual(decision.steps, [
        'create service account "default/app", if it does not already exist',
        'create pod identity association for service account "default/app"',
      ]);
    },
  },
  {
    name: 'create, absent, createServiceAccount and an already labelled service account: leaves it',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, createServiceAccount: true }),
      serviceAccount: LABELLED_SA,
    }),
    action: 'create',
    result: 'created',
    check: (decision) => assert.equal(decision.changes.createServiceAccount, false),
  },
  {
    name: 'create, absent, cross-account fields: passes target role, session tags and policy',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({
        roleARN: USER_ROLE,
        targetRoleARN: TARGET_ROLE,
        disableSessionTags: true,
        policy: SESSION_POLICY,
      }),
    }),
    action: 'create',
    result: 'created',
    check: (decision) => {
      const created = decision.changes.createAssociation;
      assert.equal(created?.targetRoleArn, TARGET_ROLE);
      assert.equal(created?.disableSessionTags, true);
      assert.equal(created?.policy, SESSION_POLICY);
    },
  },
  {
    name: 'create, absent, empty targetRoleARN: sends no target role',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, targetRoleARN: '' }),
    }),
    action: 'create',
    result: 'created',
    check: (decision) =>
      assert.equal('targetRoleArn' in (decision.changes.createAssociation ?? {}), false),
  },
  {
    name: 'create, managed role with a target role and no sts:AssumeRole on it: warns',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: managedDesired({ targetRoleARN: TARGET_ROLE }).desired,
    }),
    action: 'create',
    result: 'created',
    check: (decision) => assert.match(decision.warnings.join('\n'), /sts:AssumeRole.*target role/),
  },
  {
    name: 'create, existing and equal: unchanged',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
      existing: association(),
    }),
    action: 'unchanged',
    result: 'unchanged',
    check: (decision) => assert.deepEqual(decision.steps, []),
  },
  {
    name: 'create, existing with disableSessionTags false and the entry leaving it out: unchanged',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
      existing: association({ disableSessionTags: false }),
    }),
    action: 'unchanged',
    result: 'unchanged',
  },
  {
    name: 'create, existing with another target role: conflict that names the difference',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
      existing: association({ targetRoleArn: TARGET_ROLE }),
    }),
    action: 'conflict',
    result: 'failed',
    reason: /differs from the request in targetRoleArn/,
  },
  {
    name: 'create, existing with another role: conflict naming the existing role, no role created',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: managed.desired,
      existing: association({ roleArn: OTHER_ROLE }),
    }),
    action: 'conflict',
    result: 'failed',
    reason: new RegExp(`already exists with role ${OTHER_ROLE}`),
    check: (decision) => assert.equal(decision.changes.createRole, undefined),
  },
  {
    name: 'create, existing owned by an add-on: conflict naming the add-on',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
      existing: association({
        ownerArn: 'arn:aws:eks:us-west-2:111122223333:addon/demo/vpc-cni/x',
      }),
    }),
    action: 'conflict',
    result: 'failed',
    reason: /in use by addon arn:aws:eks:us-west-2:111122223333:addon\/demo\/vpc-cni\/x/,
  },
  {
    name: 'create, existing equal but its owned role drifted: unchanged with a warning to reconcile',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: managed.desired,
      existing: ownedManagedAssociation,
      role: { ...ownedRole, attachedPolicyArns: [SQS_READ] },
    }),
    action: 'unchanged',
    result: 'unchanged',
    check: (decision) => {
      assert.equal(decision.changes.role, undefined);
      assert.match(decision.warnings.join('\n'), /differs from the request.*run apply or update/);
    },
  },
  {
    name: 'create, existing equal, createServiceAccount and the service account missing: creates only it',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, createServiceAccount: true }),
      existing: association(),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) => {
      assert.equal(decision.changes.createServiceAccount, true);
      assert.equal(decision.changes.association, undefined);
    },
  },

  // --- update ---------------------------------------------------------------------------------
  {
    name: "update, absent: missing, a failure with eksctl's message",
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
    }),
    action: 'missing',
    result: 'failed',
    reason: /pod identity association does not exist/,
  },
  {
    name: "update, owned by an add-on: refused with eksctl's message",
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
      existing: association({ ownerArn: 'arn:aws:eks:us-west-2:111122223333:addon/demo/x/y' }),
    }),
    action: 'refused',
    result: 'failed',
    reason:
      /^cannot update podidentityassociation default\/app as it is in use by addon .*eks-pia update addon/,
  },
  {
    name: "update, role of eksctl's pod identity role stack, another roleARN: refused as eksctl refuses it",
    state: () => eksctlOwned('update', { roleARN: OTHER_ROLE }),
    action: 'refused',
    result: 'failed',
    reason:
      /cannot change podIdentityAssociation.roleARN since the role was created by eksctl \(CloudFormation stack "eksctl-demo-podidentityrole-default-app"\)/,
  },
  {
    name: "update, role of eksctl's stack, session fields only: updates the association, not the role",
    state: () => eksctlOwned('update', { disableSessionTags: true }),
    action: 'update',
    result: 'updated',
    check: (decision) => {
      assert.deepEqual(decision.changes.association, { disableSessionTags: true });
      assert.equal(decision.changes.deleteStack, undefined);
    },
  },
  {
    name: "delete, role of eksctl's stack: deletes the association, then the stack",
    state: () => eksctlOwned('delete', {}),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteAssociation, true);
      assert.equal(decision.changes.deleteStack, 'eksctl-demo-podidentityrole-default-app');
      assert.equal(decision.changes.deleteRole, false);
      assert.match(
        decision.steps.join('\n'),
        /delete IAM resources stack "eksctl-demo-podidentityrole-default-app"/,
      );
    },
  },
  {
    name: "delete, role of eksctl's stack used by another association: the stack stays, with a warning",
    state: () => eksctlOwned('delete', {}, { roleInUseElsewhere: true }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteStack, undefined);
      assert.match(decision.warnings.join('\n'), /the stack was kept/);
    },
  },
  {
    name: "delete, absent, eksctl's stack of another association with the same name: nothing is deleted, and the outcome says why",
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired({}),
      eksctlStack: {
        stackName: 'eksctl-demo-podidentityrole-default-app',
        notOwned:
          'its tag alpha.eksctl.io/podidentityassociation-name names "default-app/x", not "default/app"',
      },
    }),
    action: 'missing',
    result: 'skipped',
    check: (decision) => {
      assert.equal(decision.changes.deleteStack, undefined);
      assert.deepEqual(decision.steps, []);
      assert.match(
        decision.warnings.join('\n'),
        /CloudFormation stack "eksctl-demo-podidentityrole-default-app" was kept, with its IAM role: its tag alpha.eksctl.io\/podidentityassociation-name names "default-app\/x"/,
      );
    },
  },
  {
    name: "delete, present, eksctl's stack of another association with the same name: deletes the association only",
    state: () =>
      eksctlOwned('delete', {}, { notOwned: 'its tag names "default-app/x", not "default/app"' }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteAssociation, true);
      assert.equal(decision.changes.deleteStack, undefined);
      assert.match(decision.warnings.join('\n'), /was kept, with its IAM role: its tag names/);
    },
  },
  {
    name: "delete, absent (an interrupted delete), eksctl's stack of this association whose role no one uses: deletes the stack",
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired({}),
      eksctlStack: {
        stackName: 'eksctl-demo-podidentityrole-default-app',
        roleArn: USER_ROLE,
        roleInUseElsewhere: false,
      },
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteStack, 'eksctl-demo-podidentityrole-default-app');
      assert.equal(decision.changes.deleteAssociation, false);
    },
  },
  {
    name: "delete, absent, eksctl's stack of this association whose role another association uses: the stack stays",
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired({}),
      // No association of its own: only the stack's role tells that another uses it.
      roleInUseElsewhere: false,
      eksctlStack: {
        stackName: 'eksctl-demo-podidentityrole-default-app',
        roleArn: USER_ROLE,
        roleInUseElsewhere: true,
      },
    }),
    action: 'missing',
    result: 'skipped',
    check: (decision) => {
      assert.equal(decision.changes.deleteStack, undefined);
      assert.match(
        decision.warnings.join('\n'),
        /IAM role arn:aws:iam::111122223333:role\/app-role of CloudFormation stack "eksctl-demo-podidentityrole-default-app" .* is used by other pod identity associations; the stack was kept/,
      );
    },
  },
  {
    name: "delete, eksctl's stack without a Role1 output: the stack stays, as whether its role serves another cannot be told",
    state: () => eksctlOwned('delete', {}, { roleArn: undefined, roleInUseElsewhere: undefined }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteStack, undefined);
      assert.match(decision.warnings.join('\n'), /it has no Role1 output naming its IAM role/);
    },
  },
  {
    name: 'update, role not owned, another roleARN: changes only the role ARN',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: OTHER_ROLE }),
      existing: association(),
      role: foreignRole(),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) => {
      assert.deepEqual(decision.changes.association, { roleArn: OTHER_ROLE });
      assert.equal(decision.roleArn, OTHER_ROLE);
    },
  },
  {
    name: 'update, role not owned, new target role: changes only the target role',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, targetRoleARN: TARGET_ROLE }),
      existing: association(),
      role: foreignRole(),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) =>
      assert.deepEqual(decision.changes.association, { targetRoleArn: TARGET_ROLE }),
  },
  {
    name: 'update, disableSessionTags true where EKS reports nothing: changes it',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, disableSessionTags: true }),
      existing: association(),
      role: foreignRole(),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) =>
      assert.deepEqual(decision.changes.association, { disableSessionTags: true }),
  },
  {
    name: 'update, the same session policy written differently: unchanged',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({
        roleARN: USER_ROLE,
        disableSessionTags: true,
        policy: JSON.stringify(JSON.parse(SESSION_POLICY), null, 2),
      }),
      existing: association({ disableSessionTags: true, policy: SESSION_POLICY }),
      role: foreignRole(),
    }),
    action: 'unchanged',
    result: 'unchanged',
    reason: /already up-to-date/,
  },
  {
    name: 'update, a different session policy: changes only the policy',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, policy: '{"Version":"2012-10-17","Statement":[]}' }),
      existing: association({ disableSessionTags: true, policy: SESSION_POLICY }),
      role: foreignRole(),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) =>
      assert.deepEqual(decision.changes.association, {
        policy: '{"Version":"2012-10-17","Statement":[]}',
      }),
  },
  {
    name: 'update, an empty targetRoleARN: removes the target role',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, targetRoleARN: '' }),
      existing: association({ targetRoleArn: TARGET_ROLE }),
      role: foreignRole(),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) => assert.deepEqual(decision.changes.association, { targetRoleArn: '' }),
  },
  {
    name: 'update, an empty policy: removes the session policy, and session tags may come back on with it',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, policy: '', disableSessionTags: false }),
      existing: association({ disableSessionTags: true, policy: SESSION_POLICY }),
      role: foreignRole(),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) =>
      assert.deepEqual(decision.changes.association, { disableSessionTags: false, policy: '' }),
  },
  {
    name: 'update, fields the entry leaves out stay as they are',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
      existing: association({
        targetRoleArn: TARGET_ROLE,
        disableSessionTags: true,
        policy: SESSION_POLICY,
      }),
      role: foreignRole(),
    }),
    action: 'unchanged',
    result: 'unchanged',
  },
  {
    name: 'update, session tags turned back on while the session policy stays: refused before EKS rejects it',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, disableSessionTags: false }),
      existing: association({ disableSessionTags: true, policy: SESSION_POLICY }),
      role: foreignRole(),
    }),
    action: 'refused',
    result: 'failed',
    reason: /--disable-session-tags must be set to true when using --policy/,
  },
  {
    name: 'update, role not owned and no roleARN: refused, roleARN is required',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ targetRoleARN: TARGET_ROLE }),
      existing: association(),
      role: foreignRole(),
    }),
    action: 'refused',
    result: 'failed',
    reason:
      /^error updating pod identity association "default\/app": podIdentityAssociation\.roleARN is required since the role was not created by eks-pia$/,
  },
  {
    name: 'update, role not owned, permission fields without roleARN: refused, roleARN is required',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: managed.desired,
      existing: association(),
      role: foreignRole(),
    }),
    action: 'refused',
    result: 'failed',
    reason: /roleARN is required since the role was not created by eks-pia/,
  },
  {
    name: 'update, role not owned, roleARN and permission fields: refused, only the association fields may be set',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: managedDesired({ roleARN: USER_ROLE }).desired,
      existing: association(),
      role: foreignRole(),
    }),
    action: 'refused',
    result: 'failed',
    reason:
      /^error updating pod identity association "[^"]+": only namespace, serviceAccountName, roleARN, targetRoleARN, disableSessionTags and policy can be specified if the role was not created by eks-pia/,
  },
  {
    name: 'update, owned role, another roleARN: refused, the role was created by eks-pia',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: OTHER_ROLE }),
      existing: ownedManagedAssociation,
      role: ownedRole,
    }),
    action: 'refused',
    result: 'failed',
    reason:
      /^error updating pod identity association "[^"]+": cannot change podIdentityAssociation\.roleARN since the role was created by eks-pia$/,
  },
  {
    name: "update, owned role, only its own roleARN: never strips the role's policies",
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ roleARN: managed.spec.arn }),
      existing: ownedManagedAssociation,
      role: ownedRole,
    }),
    action: 'unchanged',
    result: 'unchanged',
    check: (decision) => {
      assert.equal(decision.changes.role, undefined);
      assert.equal(decision.changes.association, undefined);
    },
  },
  {
    name: 'update, owned role, only a target role: changes the association and leaves the role alone',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: desired({ targetRoleARN: TARGET_ROLE }),
      existing: ownedManagedAssociation,
      role: ownedRole,
    }),
    action: 'update',
    result: 'updated',
    check: (decision) => {
      assert.equal(decision.changes.role, undefined);
      assert.deepEqual(decision.changes.association, { targetRoleArn: TARGET_ROLE });
    },
  },
  {
    name: 'update, owned role, other permissions: reconciles the role to the entry',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: managedDesired({ permissionPolicyARNs: [SQS_READ] }).desired,
      existing: ownedManagedAssociation,
      role: ownedRole,
    }),
    action: 'update',
    result: 'updated',
    check: (decision) => {
      assert.deepEqual(decision.changes.role?.attach, [SQS_READ]);
      assert.deepEqual(decision.changes.role?.detach, [S3_READ]);
      assert.equal(decision.changes.association, undefined);
      assert.equal(decision.roleName, ownedRole.name);
    },
  },
  {
    name: 'update, owned role, another roleName: refused, IAM roles cannot be renamed',
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: managedDesired({ roleName: 'renamed' }).desired,
      existing: ownedManagedAssociation,
      role: ownedRole,
    }),
    action: 'refused',
    result: 'failed',
    reason: /cannot be renamed/,
  },
  {
    name: "update, the association's eks-pia role was deleted out of band: creates it again",
    state: () => ({
      operation: 'update',
      clusterName: CLUSTER,
      desired: managed.desired,
      existing: ownedManagedAssociation,
    }),
    action: 'update',
    result: 'updated',
    check: (decision) => {
      assert.equal(decision.changes.createRole, managed.spec);
      assert.match(decision.warnings.join('\n'), /no longer exists/);
    },
  },

  // --- apply ----------------------------------------------------------------------------------
  {
    name: 'apply, absent: creates',
    state: () => ({ operation: 'apply', clusterName: CLUSTER, desired: managed.desired }),
    action: 'create',
    result: 'created',
    check: (decision) => assert.equal(decision.changes.createRole, managed.spec),
  },
  {
    name: 'apply, present and equal: unchanged, no step',
    state: () => ({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: managed.desired,
      existing: ownedManagedAssociation,
      role: ownedRole,
    }),
    action: 'unchanged',
    result: 'unchanged',
    check: (decision) => assert.deepEqual(decision.steps, []),
  },
  {
    name: 'apply, a target role the file no longer lists: removes it',
    state: () => ({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
      existing: association({ targetRoleArn: TARGET_ROLE }),
      role: foreignRole(),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) => assert.deepEqual(decision.changes.association, { targetRoleArn: '' }),
  },
  {
    name: 'apply, a session policy the file no longer lists: removes it and turns session tags back on',
    state: () => ({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
      existing: association({ disableSessionTags: true, policy: SESSION_POLICY }),
      role: foreignRole(),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) =>
      assert.deepEqual(decision.changes.association, { disableSessionTags: false, policy: '' }),
  },
  {
    name: 'apply, permissions for an association whose role eks-pia did not create: refused with the fix',
    state: () => ({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: managed.desired,
      existing: association(),
      role: foreignRole(),
    }),
    action: 'refused',
    result: 'failed',
    reason: /already uses role .*set roleARN to that role/,
  },
  {
    name: 'apply, owned role whose pods.eks trust statement was removed: adds it back',
    state: () => ({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: managed.desired,
      existing: ownedManagedAssociation,
      role: withTrust(ownedRole),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) => {
      assert.deepEqual(decision.changes.role?.trust?.document, managed.spec.trust);
      assert.deepEqual(decision.steps, [
        `add the trust statement that allows pods.eks.amazonaws.com sts:AssumeRole, sts:TagSession to IAM role "${managed.spec.roleName}"`,
      ]);
    },
  },
  {
    name: 'apply, owned role with a trust statement added by hand: removes it',
    state: () => ({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: managed.desired,
      existing: ownedManagedAssociation,
      role: withTrust(ownedRole, podIdentityTrustStatement(), FOREIGN_TRUST),
    }),
    action: 'update',
    result: 'updated',
    check: (decision) => {
      assert.deepEqual(decision.changes.role?.trust?.document, managed.spec.trust);
      assert.deepEqual(decision.steps, [
        `remove the trust statement that allows arn:aws:iam::444455556666:root sts:AssumeRole from IAM role "${managed.spec.roleName}"`,
      ]);
    },
  },
  {
    name: 'apply, owned role with an inline policy added by hand: deletes it',
    state: () => ({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: managed.desired,
      existing: ownedManagedAssociation,
      role: { ...ownedRole, inlinePolicies: [ESCALATE] },
    }),
    action: 'update',
    result: 'updated',
    check: (decision) => {
      assert.deepEqual(decision.changes.role?.deleteInline, ['escalate']);
      assert.deepEqual(decision.steps, [
        `delete inline policy escalate from IAM role "${managed.spec.roleName}"`,
      ]);
    },
  },
  {
    name: 'apply, roleARN role with an inline policy and a trust statement added by hand: left alone, eks-pia did not create it',
    state: () => ({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE }),
      existing: association(),
      role: {
        ...withTrust(foreignRole(), podIdentityTrustStatement(), FOREIGN_TRUST),
        inlinePolicies: [ESCALATE],
      },
    }),
    action: 'unchanged',
    result: 'unchanged',
    check: (decision) => {
      assert.equal(decision.changes.role, undefined);
      assert.deepEqual(decision.steps, []);
    },
  },
  {
    name: 'apply, createServiceAccount and an unlabelled service account: never relabels it',
    state: () => ({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, createServiceAccount: true }),
      existing: association(),
      role: foreignRole(),
      serviceAccount: UNLABELLED_SA,
    }),
    action: 'unchanged',
    result: 'unchanged',
    check: (decision) => assert.equal(decision.changes.createServiceAccount, false),
  },
  {
    name: 'create, createServiceAccount and a Helm service account: used as is, association not marked',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, createServiceAccount: true }),
      serviceAccount: HELM_SA,
    }),
    action: 'create',
    result: 'created',
    check: (decision) => {
      assert.equal(decision.changes.createServiceAccount, false);
      assert.equal(
        decision.changes.createAssociation?.tags[SERVICE_ACCOUNT_CREATED_TAG],
        undefined,
      );
      assert.match(decision.warnings.join('\n'), /managed by Helm.*never delete it/);
    },
  },
  {
    name: 'create, createServiceAccount and no service account: created, association marked',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, createServiceAccount: true }),
    }),
    action: 'create',
    result: 'created',
    check: (decision) => {
      assert.equal(decision.changes.createServiceAccount, true);
      assert.equal(decision.changes.createAssociation?.tags[SERVICE_ACCOUNT_CREATED_TAG], 'true');
    },
  },
  {
    name: 'create, a service account an interrupted run created: kept, association marked',
    state: () => ({
      operation: 'create',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, createServiceAccount: true }),
      serviceAccount: LABELLED_SA,
    }),
    action: 'create',
    result: 'created',
    check: (decision) => {
      assert.equal(decision.changes.createServiceAccount, false);
      assert.equal(decision.changes.createAssociation?.tags[SERVICE_ACCOUNT_CREATED_TAG], 'true');
    },
  },
  {
    name: 'apply, other tags than the association has: warns that tags are set only on create',
    state: () => ({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: desired({ roleARN: USER_ROLE, tags: { team: 'b' } }),
      existing: ownedAssociation({
        tags: { team: 'a', ...ownershipTags(CLUSTER, NAMESPACE, SERVICE_ACCOUNT) },
      }),
      role: foreignRole(),
    }),
    action: 'unchanged',
    result: 'unchanged',
    check: (decision) =>
      assert.match(
        decision.warnings.join('\n'),
        /tags are set only when an association is created/,
      ),
  },

  // --- delete ---------------------------------------------------------------------------------
  {
    name: "delete, absent with nothing left over: missing, skipped with eksctl's warning",
    state: () => ({ operation: 'delete', clusterName: CLUSTER, desired: desired() }),
    action: 'missing',
    result: 'skipped',
    check: (decision) =>
      assert.deepEqual(decision.warnings, ['pod identity association "default/app" not found']),
  },
  {
    name: "delete, absent but eks-pia's role left over: deletes the role, warns about the association",
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      role: ownedRole,
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteAssociation, false);
      assert.equal(decision.changes.deleteRole, true);
      assert.match(decision.warnings.join('\n'), /not found/);
    },
  },
  {
    name: "delete, owned by an add-on: refused with eksctl's message",
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      existing: association({ ownerArn: 'arn:aws:eks:us-west-2:111122223333:addon/demo/x/y' }),
    }),
    action: 'refused',
    result: 'failed',
    reason:
      /^cannot delete podidentityassociation default\/app as it is in use by addon .*aws eks delete-addon/,
  },
  {
    name: 'delete, role not created by eks-pia: deletes the association only',
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      existing: association(),
      role: foreignRole(),
    }),
    action: 'delete',
    result: 'deleted',
    reason: /was not created by eks-pia for it and stays/,
    check: (decision) => {
      assert.equal(decision.changes.deleteAssociation, true);
      assert.equal(decision.changes.deleteRole, false);
      assert.equal(decision.associationId, 'a-0123456789abcdef0');
    },
  },
  {
    name: 'delete, owned role used by nothing else: deletes the role, then the association last',
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      existing: ownedManagedAssociation,
      role: ownedRole,
      roleInUseElsewhere: false,
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteRole, true);
      assert.equal(decision.roleName, ownedRole.name);
      assert.deepEqual(decision.steps, [
        `delete IAM role "${ownedRole.name}", created by eks-pia for "default/app"`,
        'delete pod identity association "default/app"',
      ]);
    },
  },
  {
    name: 'delete, owned role still used by another association: keeps the role with a warning',
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      existing: ownedManagedAssociation,
      role: ownedRole,
      roleInUseElsewhere: true,
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteRole, false);
      assert.match(decision.warnings.join('\n'), /still use it; it was kept/);
    },
  },
  {
    name: 'delete, a role eks-pia created for another service account: kept',
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      existing: ownedManagedAssociation,
      role: { ...ownedRole, tags: ownershipTags(CLUSTER, NAMESPACE, 'someone-else') },
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => assert.equal(decision.changes.deleteRole, false),
  },
  {
    name: 'delete, a service account eks-pia created (label and association mark): deleted first',
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      existing: ownedAssociation({
        tags: {
          ...ownershipTags(CLUSTER, NAMESPACE, SERVICE_ACCOUNT),
          [SERVICE_ACCOUNT_CREATED_TAG]: 'true',
        },
      }),
      serviceAccount: LABELLED_SA,
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteServiceAccount, true);
      assert.match(decision.steps[0] ?? '', /^delete service account/);
    },
  },
  {
    name: 'delete, labelled managed-by eks-pia but the association has no mark: kept',
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      existing: ownedAssociation(),
      serviceAccount: LABELLED_SA,
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteServiceAccount, false);
      assert.match(decision.warnings.join('\n'), /does not record that eks-pia created it/);
    },
  },
  {
    name: 'delete, a Helm service account: kept',
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      existing: ownedAssociation(),
      serviceAccount: HELM_SA,
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => assert.equal(decision.changes.deleteServiceAccount, false),
  },
  {
    name: 'delete, a service account labelled managed-by eksctl: deleted, as eksctl does',
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      existing: association(),
      serviceAccount: EKSCTL_SA,
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => assert.equal(decision.changes.deleteServiceAccount, true),
  },
  {
    name: 'delete, a service account eks-pia did not create: kept',
    state: () => ({
      operation: 'delete',
      clusterName: CLUSTER,
      desired: desired(),
      existing: association(),
      serviceAccount: UNLABELLED_SA,
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => assert.equal(decision.changes.deleteServiceAccount, false),
  },

  // --- prune ----------------------------------------------------------------------------------
  {
    name: 'prune, an association eks-pia created for this cluster: deleted with its owned role',
    state: () => ({
      operation: 'prune',
      clusterName: CLUSTER,
      existing: ownedManagedAssociation,
      role: ownedRole,
    }),
    action: 'delete',
    result: 'deleted',
    check: (decision) => {
      assert.equal(decision.changes.deleteAssociation, true);
      assert.equal(decision.changes.deleteRole, true);
    },
  },
  {
    name: 'prune, an association eks-pia did not create: left alone',
    state: () => ({ operation: 'prune', clusterName: CLUSTER, existing: association() }),
    action: 'unchanged',
    result: 'unchanged',
    reason: /prune leaves it alone/,
    check: (decision) => assert.equal(decision.changes.deleteAssociation, false),
  },
  {
    name: 'prune, an association eks-pia created for another cluster: left alone',
    state: () => ({
      operation: 'prune',
      clusterName: CLUSTER,
      existing: association({ tags: ownershipTags('other-cluster', NAMESPACE, SERVICE_ACCOUNT) }),
    }),
    action: 'unchanged',
    result: 'unchanged',
  },
  {
    name: 'prune, an add-on association that carries our tags: left alone',
    state: () => ({
      operation: 'prune',
      clusterName: CLUSTER,
      existing: ownedAssociation({ ownerArn: 'arn:aws:eks:us-west-2:111122223333:addon/demo/x/y' }),
    }),
    action: 'unchanged',
    result: 'unchanged',
  },
];

describe('decideItem', () => {
  for (const row of rows) {
    it(row.name, () => {
      const decision = decideItem(row.state());
      assert.equal(decision.action, row.action, decision.reason);
      assert.equal(decision.result, row.result);
      if (row.reason !== undefined) assert.match(decision.reason, row.reason);
      row.check?.(decision);
    });
  }

  it('never proposes a change when it refuses, conflicts or finds nothing', () => {
    for (const row of rows) {
      const decision = decideItem(row.state());
      if (!['refused', 'conflict', 'missing', 'unchanged'].includes(decision.action)) continue;
      const { changes } = decision;
      const acting =
        changes.createRole !== undefined ||
        changes.role !== undefined ||
        changes.createAssociation !== undefined ||
        changes.association !== undefined ||
        changes.deleteAssociation ||
        changes.deleteRole ||
        changes.deleteServiceAccount ||
        changes.createServiceAccount;
      assert.equal(acting, false, row.name);
    }
  });

  it('converges: deciding again on the state a create leaves behind changes nothing', () => {
    const first = decideItem({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: managed.desired,
    });
    const created = first.changes.createAssociation;
    assert.ok(created !== undefined);
    const second = decideItem({
      operation: 'apply',
      clusterName: CLUSTER,
      desired: managed.desired,
      existing: association({ roleArn: created.roleArn, tags: created.tags }),
      role: ownedRole,
    });
    assert.equal(second.action, 'unchanged');
  });
});

describe('roleChanges', () => {
  it('finds nothing to do on a role exactly as desired', () => {
    assert.equal(hasRoleChanges(roleChanges(managed.spec, ownedRole)), false);
  });

  it('attaches missing and detaches extra managed policies', () => {
    const changes = roleChanges(managed.spec, { ...ownedRole, attachedPolicyArns: [SQS_READ] });
    assert.deepEqual(changes.attach, [S3_READ]);
    assert.deepEqual(changes.detach, [SQS_READ]);
  });

  it('puts an inline policy that is missing or differs, not one equal up to key order', () => {
    const spec = managedDesired({
      permissionPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
      },
    }).spec;
    const role = roleFromSpec(spec);
    const reordered = {
      ...role,
      inlinePolicies: [
        {
          name: 'eks-pia-Policy1',
          document: {
            Statement: [{ Resource: '*', Action: 's3:GetObject', Effect: 'Allow' as const }],
            Version: '2012-10-17' as const,
          },
        },
      ],
    };
    assert.deepEqual(roleChanges(spec, reordered).putInline, []);
    const changed = {
      ...role,
      inlinePolicies: [
        {
          name: 'eks-pia-Policy1',
          document: { Statement: [{ Effect: 'Allow' as const, Action: 's3:*', Resource: '*' }] },
        },
      ],
    };
    assert.deepEqual(
      roleChanges(spec, changed).putInline.map((policy) => policy.name),
      ['eks-pia-Policy1'],
    );
    assert.deepEqual(
      roleChanges(spec, { ...role, inlinePolicies: [] }).putInline.map((policy) => policy.name),
      ['eks-pia-Policy1'],
    );
  });

  it('deletes every inline policy the desired role does not list, whoever named it', () => {
    const changes = roleChanges(managed.spec, {
      ...ownedRole,
      inlinePolicies: [
        {
          name: 'eks-pia-PolicyAutoScaling',
          document: { Statement: [{ Effect: 'Allow', Action: 'autoscaling:*', Resource: '*' }] },
        },
        {
          name: 'added-by-hand',
          document: { Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }] },
        },
      ],
    });
    assert.deepEqual(changes.deleteInline, ['eks-pia-PolicyAutoScaling', 'added-by-hand']);
  });

  it('keeps what only denies: an inline policy of Deny statements and a Deny statement of the trust', () => {
    const lock = {
      Effect: 'Deny' as const,
      Principal: { AWS: '*' },
      Action: 'sts:AssumeRole',
    };
    const changes = roleChanges(managed.spec, {
      ...withTrust(ownedRole, ...statementsOf(managed.spec.trust), lock),
      inlinePolicies: [
        {
          name: 'incident-lockdown',
          document: { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] },
        },
        {
          name: 'mixed',
          document: {
            Statement: [
              { Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' },
              { Effect: 'Allow', Action: 'logs:*', Resource: '*' },
            ],
          },
        },
      ],
    });
    assert.deepEqual(changes.deleteInline, ['mixed']);
    // eks-pia's statement is still there and the Deny stays: nothing to change in the trust.
    assert.equal(changes.trust, undefined);
    const lost = roleChanges(managed.spec, withTrust(ownedRole, lock)).trust;
    assert.deepEqual(lost?.adds, [podIdentityTrustStatement()]);
    assert.deepEqual(lost?.removes, []);
    assert.deepEqual(lost?.document.Statement, [...statementsOf(managed.spec.trust), lock]);
  });

  it('sets a boundary the role lacks and removes one the entry no longer asks for', () => {
    const boundary = 'arn:aws:iam::111122223333:policy/boundary';
    const withBoundary = managedDesired({ permissionsBoundaryARN: boundary }).spec;
    assert.deepEqual(roleChanges(withBoundary, ownedRole).boundary, { set: boundary });
    assert.deepEqual(
      roleChanges(managed.spec, { ...ownedRole, permissionsBoundaryArn: boundary }).boundary,
      {
        remove: true,
      },
    );
    assert.equal(
      roleChanges(withBoundary, { ...ownedRole, permissionsBoundaryArn: boundary }).boundary,
      undefined,
    );
  });

  it("resets the trust to eks-pia's: a lost pods.eks statement comes back, one added by hand goes", () => {
    assert.deepEqual(roleChanges(managed.spec, withTrust(ownedRole, FOREIGN_TRUST)).trust, {
      document: managed.spec.trust,
      adds: [podIdentityTrustStatement()],
      removes: [FOREIGN_TRUST],
    });
    // Conditions on eks-pia's own statement are a hand edit too: it is written back as it was.
    const conditioned = {
      ...podIdentityTrustStatement(),
      Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
    };
    assert.deepEqual(roleChanges(managed.spec, withTrust(ownedRole, conditioned)).trust, {
      document: managed.spec.trust,
      adds: [podIdentityTrustStatement()],
      removes: [conditioned],
    });
    assert.equal(roleChanges(managed.spec, ownedRole).trust, undefined);
  });

  it('finds no trust change in an equivalent trust written differently', () => {
    const rewritten = {
      ...ownedRole,
      trustPolicy: {
        Statement: {
          Action: ['sts:tagsession', 'sts:AssumeRole', 'sts:TagSession'],
          Principal: { Service: ['pods.eks.amazonaws.com'] },
          Sid: 'EksPodIdentity',
          Effect: 'Allow' as const,
        },
        Version: '2012-10-17' as const,
        Id: 'written-by-hand',
      },
    };
    assert.equal(roleChanges(managed.spec, rewritten).trust, undefined);
    assert.equal(hasRoleChanges(roleChanges(managed.spec, rewritten)), false);
  });

  it('rewrites a trust whose statements match but whose policy language version does not', () => {
    const { Version: _version, ...unversioned } = managed.spec.trust;
    const changes = roleChanges(managed.spec, { ...ownedRole, trustPolicy: unversioned });
    assert.deepEqual(changes.trust, { document: managed.spec.trust, adds: [], removes: [] });
    assert.deepEqual(roleChangeSteps('r', changes), [
      'rewrite the trust policy of IAM role "r" in policy language version 2012-10-17',
    ]);
  });

  it('sets missing or different tags and never removes tags others added', () => {
    const changes = roleChanges(managed.spec, {
      ...ownedRole,
      tags: { ...ownedRole.tags, 'cost-center': '42', 'eks-pia/cluster': 'stale' },
    });
    assert.deepEqual(changes.tags, { 'eks-pia/cluster': CLUSTER });
  });

  it('describes each edit as one step', () => {
    const steps = roleChangeSteps('r', {
      attach: ['a'],
      detach: ['d'],
      putInline: [{ name: 'eks-pia-P', document: { Statement: [] } }],
      deleteInline: ['eks-pia-Q'],
      boundary: { remove: true },
      trust: {
        document: managed.spec.trust,
        adds: [podIdentityTrustStatement()],
        removes: [FOREIGN_TRUST],
      },
      tags: { k: 'v' },
    });
    assert.deepEqual(steps, [
      'add the trust statement that allows pods.eks.amazonaws.com sts:AssumeRole, sts:TagSession to IAM role "r"',
      'remove the trust statement that allows arn:aws:iam::444455556666:root sts:AssumeRole from IAM role "r"',
      'attach policy a to IAM role "r"',
      'detach policy d from IAM role "r"',
      'put inline policy eks-pia-P on IAM role "r"',
      'delete inline policy eks-pia-Q from IAM role "r"',
      'remove the permissions boundary of IAM role "r"',
      'tag IAM role "r" with k=v',
    ]);
  });
});

describe('what a decision needs looked up', () => {
  it("inspects the association's role, else (delete) the name eks-pia would use", () => {
    assert.equal(roleNameToInspect({ operation: 'update', existing: association() }), 'app-role');
    assert.equal(
      roleNameToInspect({ operation: 'create', desired: desired({ roleARN: USER_ROLE }) }),
      undefined,
    );
    assert.equal(
      roleNameToInspect({ operation: 'delete', desired: desired() }),
      managed.spec.roleName,
    );
  });

  it('never inspects the role a create or apply is about to make: CreateRole tells, and only a dry run reads it (roleToCreate)', () => {
    for (const operation of ['create', 'apply'] as const) {
      assert.equal(roleNameToInspect({ operation, desired: managed.desired }), undefined);
      assert.equal(roleToCreate({ operation, desired: managed.desired }), managed.spec.roleName);
      assert.equal(
        roleToCreate({ operation, desired: managed.desired, existing: ownedManagedAssociation }),
        undefined,
      );
      assert.equal(
        roleToCreate({ operation, desired: desired({ roleARN: USER_ROLE }) }),
        undefined,
      );
    }
    assert.equal(roleNameToInspect({ operation: 'update', desired: managed.desired }), undefined);
    assert.equal(roleToCreate({ operation: 'update', desired: managed.desired }), undefined);
  });

  it('does not inspect the role an entry names by roleARN that its association already has: the decision is the same whatever the role', () => {
    const entry = desired({ roleARN: USER_ROLE });
    const existing = association({ roleArn: USER_ROLE });
    const roles = [
      undefined,
      foreignRole(),
      { ...foreignRole(), tags: ownershipTags(CLUSTER, NAMESPACE, SERVICE_ACCOUNT) },
    ];
    const stacks = [undefined, { stackName: 'eksctl-demo-podidentityrole-default-app' }];
    for (const operation of ['create', 'update', 'apply'] as const) {
      assert.equal(roleNameToInspect({ operation, desired: entry, existing }), undefined);
      for (const eksctlStack of stacks) {
        const decisions = roles.map((role) =>
          decideItem({
            operation,
            clusterName: CLUSTER,
            desired: entry,
            existing,
            role,
            eksctlStack,
          }),
        );
        for (const decision of decisions) assert.deepEqual(decision, decisions[0]);
      }
    }
    // A removal still judges the role: it deletes one eks-pia created for the association.
    assert.equal(roleNameToInspect({ operation: 'delete', desired: entry, existing }), 'app-role');
  });

  it('needs Kubernetes to create service accounts and to check them on delete of an association that exists', () => {
    assert.equal(
      needsKubernetes('create', desired({ roleARN: USER_ROLE, createServiceAccount: true }), false),
      true,
    );
    assert.equal(needsKubernetes('apply', desired({ roleARN: USER_ROLE }), true), false);
    assert.equal(
      needsKubernetes('update', desired({ roleARN: USER_ROLE, createServiceAccount: true }), true),
      false,
    );
    assert.equal(needsKubernetes('delete', desired(), true), true);
    assert.equal(needsKubernetes('delete', desired(), false), false);
    assert.equal(needsKubernetes('prune', undefined, true), true);
  });

  it('counts a role as used elsewhere by name, ignoring case and itself', () => {
    const others = [
      association({ roleArn: USER_ROLE }),
      association({ serviceAccount: 'other', roleArn: 'arn:aws:iam::111122223333:role/APP-ROLE' }),
    ];
    assert.equal(
      roleUsedElsewhere(USER_ROLE, others, {
        namespace: NAMESPACE,
        serviceAccount: SERVICE_ACCOUNT,
      }),
      true,
    );
    assert.equal(
      roleUsedElsewhere(USER_ROLE, others.slice(0, 1), {
        namespace: NAMESPACE,
        serviceAccount: SERVICE_ACCOUNT,
      }),
      false,
    );
  });

  it('offers for pruning only associations eks-pia created for this cluster that the file no longer lists', () => {
    const listed = ownedAssociation();
    const unlisted = ownedAssociation({ serviceAccount: 'gone' });
    const foreign = association({ serviceAccount: 'foreign' });
    const otherCluster = association({
      serviceAccount: 'x',
      tags: ownershipTags('other', NAMESPACE, 'x'),
    });
    const addon = ownedAssociation({ serviceAccount: 'addon', ownerArn: 'arn:aws:eks:::addon/x' });
    assert.deepEqual(
      pruneCandidates([listed, unlisted, foreign, otherCluster, addon], [desired()], CLUSTER),
      [unlisted],
    );
  });
});

describe('session policy equality', () => {
  it('holds for any re-serialisation of the same JSON and fails for different JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), (value, indent) => {
        const a = JSON.stringify(value);
        const b = JSON.stringify(value, null, indent);
        assert.equal(sessionPoliciesEqual(a, b), true);
        assert.equal(sessionPoliciesEqual(a, JSON.stringify({ wrapped: value })), false);
      }),
    );
  });

  it('treats absent and empty as the same, and absent as different from a policy', () => {
    assert.equal(sessionPoliciesEqual(undefined, ''), true);
    assert.equal(sessionPoliciesEqual(undefined, SESSION_POLICY), false);
  });
});
