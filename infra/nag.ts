import { Stack } from 'aws-cdk-lib';
// cdk-nag's own renderer for finding ids; the package root does not re-export it.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * The id of the AwsSolutions-IAM5 finding a wildcard resource raises, spelled exactly as cdk-nag
 * spells it (`<AWS::Region>` in an environment-agnostic stack, `eu-west-1` in a pinned one), so an
 * acknowledgement matches in every environment the app is synthesised for.
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}
