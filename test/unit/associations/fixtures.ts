// Builders shared by the associations core tests: entries, desired associations and the live
// state (associations, roles, service accounts) that the plan decides against.

import {
  type DesiredAssociation,
  desiredFromConfig,
  type ManagedRole,
} from '../../../functions/core/associations/desired.ts';
import type {
  ExistingAssociation,
  ExistingRole,
} from '../../../functions/core/associations/existing.ts';
import {
  type AssociationRequest,
  associationRequestFrom,
  type RequestContext,
  type RunnableInput,
} from '../../../functions/core/associations/request.ts';
import { validatedConfig } from '../../../functions/core/associations/request-config.ts';
import type { BatchRequest } from '../../../functions/core/associations/run-plan.ts';
import type { PodIdentityAssociationConfig } from '../../../functions/core/config/index.ts';
import { MANAGED_BY_LABEL, ownershipTags } from '../../../functions/core/naming.ts';
import type { Partition } from '../../../functions/core/well-known-policies.ts';

export const CLUSTER = 'demo';
export const ACCOUNT = '111122223333';
export const NAMESPACE = 'default';
export const SERVICE_ACCOUNT = 'app';
export const USER_ROLE = `arn:aws:iam::${ACCOUNT}:role/app-role`;
export const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/other-role`;
export const TARGET_ROLE = 'arn:aws:iam::444455556666:role/target';
export const S3_READ = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
export const SQS_READ = 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess';
export const SESSION_POLICY =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}';

export function entry(
  fields: Partial<PodIdentityAssociationConfig> = {},
): PodIdentityAssociationConfig {
  return { namespace: NAMESPACE, serviceAccountName: SERVICE_ACCOUNT, ...fields };
}

export function desired(
  fields: Partial<PodIdentityAssociationConfig> = {},
  context: {
    enforcedPermissionsBoundaryArn?: string;
    clusterTags?: Record<string, string>;
    partition?: Partition;
  } = {},
): DesiredAssociation {
  return desiredFromConfig(entry(fields), {
    clusterName: CLUSTER,
    partition: 'aws',
    account: ACCOUNT,
    path: 'iam.podIdentityAssociations[0]',
    ...context,
  });
}

/** The desired association of an entry that builds a role, with that role. */
export function managedDesired(
  fields: Partial<PodIdentityAssociationConfig> = {},
  context: { enforcedPermissionsBoundaryArn?: string } = {},
): { desired: DesiredAssociation; spec: ManagedRole } {
  const built = desired({ permissionPolicyARNs: [S3_READ], ...fields }, context);
  if (built.role.kind !== 'managed') throw new Error('expected a managed role');
  return { desired: built, spec: built.role.role };
}

export function association(fields: Partial<ExistingAssociation> = {}): ExistingAssociation {
  return {
    associationId: 'a-0123456789abcdef0',
    associationArn: `arn:aws:eks:us-west-2:${ACCOUNT}:podidentityassociation/${CLUSTER}/a-0123456789abcdef0`,
    namespace: NAMESPACE,
    serviceAccount: SERVICE_ACCOUNT,
    roleArn: USER_ROLE,
    tags: {},
    ...fields,
  };
}

/** An association eks-pia created (it carries the ownership tags). */
export function ownedAssociation(fields: Partial<ExistingAssociation> = {}): ExistingAssociation {
  const namespace = fields.namespace ?? NAMESPACE;
  const serviceAccount = fields.serviceAccount ?? SERVICE_ACCOUNT;
  return association({ tags: ownershipTags(CLUSTER, namespace, serviceAccount), ...fields });
}

/** The role exactly as eks-pia would have created it for the spec. */
export function roleFromSpec(spec: ManagedRole): ExistingRole {
  return {
    name: spec.roleName,
    arn: spec.arn,
    path: spec.path,
    tags: { ...spec.tags },
    trustPolicy: structuredClone(spec.trust),
    attachedPolicyArns: [...spec.managedPolicyArns],
    inlinePolicies: spec.inlinePolicies.map((policy) => ({
      name: policy.name,
      document: structuredClone(policy.document),
    })),
    permissionsBoundaryArn: spec.permissionsBoundaryArn,
  };
}

/** A role someone else made: no ownership tags. */
export function foreignRole(arn = USER_ROLE): ExistingRole {
  const name = arn.split('/').at(-1) ?? 'role';
  return {
    name,
    arn,
    path: '/',
    tags: { team: 'platform' },
    trustPolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
        },
      ],
    },
    attachedPolicyArns: [S3_READ],
    inlinePolicies: [],
  };
}

export const LABELLED_SA = { labels: { [MANAGED_BY_LABEL.key]: MANAGED_BY_LABEL.value } };
export const UNLABELLED_SA = { labels: { app: 'web' } };
export const HELM_SA = { labels: { [MANAGED_BY_LABEL.key]: 'Helm' } };
export const EKSCTL_SA = { labels: { [MANAGED_BY_LABEL.key]: 'eksctl' } };

/**
 * The request the workflow builds from `input`: its config validated as read-association-config
 * does (from `configText` when it is in S3), then built as load-association-request does.
 */
export function requestFrom(
  input: RunnableInput,
  { configText, ...context }: Omit<RequestContext, 'config'> & { configText?: string | undefined },
): AssociationRequest {
  return associationRequestFrom(input, {
    ...context,
    config: input.kind === 'config' ? validatedConfig(input, configText) : undefined,
  });
}

/**
 * The demo cluster's request for `operation` and `entries`, as a batch document carries it (not a
 * dry run, no prune, from an inline config unless `fields` say otherwise).
 */
export function batchRequest(
  operation: AssociationRequest['operation'],
  entries: DesiredAssociation[],
  fields: Partial<Pick<AssociationRequest, 'dryRun' | 'prune' | 'source'>> = {},
): BatchRequest {
  return {
    operation,
    clusterName: CLUSTER,
    region: 'us-west-2',
    partition: 'aws',
    account: ACCOUNT,
    dryRun: false,
    prune: false,
    source: { kind: 'inline' },
    entries,
    ...fields,
  };
}
