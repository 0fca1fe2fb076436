/**
 * What the live world holds for one association, as plain data: the adapters in
 * `functions/aws/` fill these in (decoding IAM's URL-encoded documents and turning tag lists into
 * maps), and the plan decides on them without knowing any SDK type.
 */
import type { PolicyDocument } from '../policy-document.ts';

/**
 * Which service account an association binds to which role, and how: the fields that
 * CreatePodIdentityAssociation takes and DescribePodIdentityAssociation returns, shared so the
 * adapter's request and the core's view of an existing association cannot drift apart.
 */
export interface AssociationBinding {
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  targetRoleArn?: string | undefined;
  disableSessionTags?: boolean | undefined;
  /** The session policy as JSON text; EKS accepts it only with `disableSessionTags: true`. */
  policy?: string | undefined;
}

/** One pod identity association as DescribePodIdentityAssociation returns it. */
export interface ExistingAssociation extends AssociationBinding {
  associationId: string;
  associationArn: string;
  tags: Record<string, string>;
  /** Set when an EKS add-on owns the association; such associations are changed through the add-on. */
  ownerArn?: string | undefined;
}

/** An IAM role with everything the reconcile compares (GetRole + the policy listings + tags). */
export interface ExistingRole {
  name: string;
  arn: string;
  path: string;
  tags: Record<string, string>;
  trustPolicy: PolicyDocument;
  attachedPolicyArns: string[];
  inlinePolicies: { name: string; document: PolicyDocument }[];
  permissionsBoundaryArn?: string | undefined;
}

/** A Kubernetes service account that exists; a missing one is represented by its absence. */
export interface ExistingServiceAccount {
  labels: Record<string, string>;
}

/**
 * Whether two role ARNs name the same role as EKS sees it. EKS stores and returns the ARN exactly
 * as it was given, so any difference, including case, is a difference EKS would report back on
 * every describe; comparing loosely would hide a change the user asked for.
 */
export function sameRoleArn(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && a === b;
}
