/**
 * What the associations and fleet benches share: the account, the per-API rate limits
 * (CloudFormation's included) and latency the simulator applies, the role most entries share, and
 * the entries themselves (one in ten carries permissions, so the service creates its role; the
 * rest name the shared role).
 */
import { CreatePodIdentityAssociationCommand } from '@aws-sdk/client-eks';
import { AttachRolePolicyCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { DEFAULT_ASSIGNABLE_ROLE_TAG } from '../functions/core/associations/guardrails.ts';
import { POD_IDENTITY_TRUST } from '../local/simulator/synthetic-worlds.ts';
import { CLOUDFORMATION_RATE_LIMITS, type EksctlStyleClients } from './common.ts';

export const ACCOUNT = '111122223333';
export const REGION = 'us-west-2';
/**
 * Requests per second per API: in the range EKS and IAM throttle at for one account, and
 * CloudFormation's (eksctl's role stacks) at the conservative rate common.ts explains.
 */
export const RATE_LIMITS: Record<string, number> = {
  ...CLOUDFORMATION_RATE_LIMITS,
  'eks:CreatePodIdentityAssociation': 50,
  'eks:DescribePodIdentityAssociation': 50,
  'eks:ListPodIdentityAssociations': 20,
  'eks:ListClusters': 10,
  'iam:CreateRole': 20,
  'iam:AttachRolePolicy': 20,
  'iam:GetRole': 40,
};
export const LATENCY_MS = 3;
/** Every tenth entry carries permissions, so the service creates its role; the rest name one. */
export const MANAGED_EVERY = 10;
const S3_READ_ONLY = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const SHARED_ROLE_NAME = 'shared-app-role';

/** The shared role, opted in as the deployment's default guardrails require of a named role. */
export const SHARED_ROLE = {
  name: SHARED_ROLE_NAME,
  assumeRolePolicyDocument: POD_IDENTITY_TRUST,
  tags: { [DEFAULT_ASSIGNABLE_ROLE_TAG.key]: DEFAULT_ASSIGNABLE_ROLE_TAG.value },
};

export interface Entry {
  namespace: string;
  serviceAccountName: string;
  permissionPolicyARNs?: string[];
  roleARN?: string;
}

/** `count` entries: one in `managedEvery` with permissions (a role eks-pia makes), the rest naming the shared role. */
export function associationEntries(count: number, managedEvery = MANAGED_EVERY): Entry[] {
  return Array.from({ length: count }, (_, index) => {
    const base = { namespace: `team-${index % 50}`, serviceAccountName: `app-${index}` };
    return index % managedEvery === 0
      ? { ...base, permissionPolicyARNs: [S3_READ_ONLY] }
      : { ...base, roleARN: `arn:aws:iam::${ACCOUNT}:role/${SHARED_ROLE_NAME}` };
  });
}

/**
 * One entry the way eksctl creates it, with eksctl's SDK settings: the role and its policies when
 * the entry carries permissions (named per cluster, as eksctl's role stacks are), then the
 * association.
 */
export async function eksctlCreate(
  { iam, eks }: EksctlStyleClients,
  clusterName: string,
  entry: Entry,
): Promise<void> {
  let roleArn = entry.roleARN ?? '';
  if (entry.permissionPolicyARNs) {
    const roleName = `eksctl-${clusterName}-${entry.namespace}-${entry.serviceAccountName}`;
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify(POD_IDENTITY_TRUST),
      }),
    );
    roleArn = created.Role?.Arn ?? '';
    for (const policy of entry.permissionPolicyARNs)
      await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policy }));
  }
  await eks.send(
    new CreatePodIdentityAssociationCommand({
      clusterName,
      namespace: entry.namespace,
      serviceAccount: entry.serviceAccountName,
      roleArn,
    }),
  );
}
