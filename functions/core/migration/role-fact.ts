import type { PolicyDocument } from '../policy-document.ts';

/** A role that discovery read (name, ARN, path and trust), as the plan and the add-on migration use it. */
export interface RoleFact {
  name: string;
  /** As IAM reports it, with the role's path. */
  arn: string;
  path: string;
  trustPolicy: PolicyDocument;
}
