/**
 * The CloudFormation stacks eksctl made for `iamserviceaccount`s (tagged
 * `alpha.eksctl.io/iamserviceaccount-name`), with the IAM roles they own. A role a stack owns
 * is changed only through the stack; editing it directly is drift the next stack update undoes.
 */
import {
  paginateDescribeStacks,
  paginateListStackResources,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { parseRoleArn } from '../core/associations/existing.ts';
import { cloudFormationClient } from './clients.ts';

export const IAM_SERVICE_ACCOUNT_TAG = 'alpha.eksctl.io/iamserviceaccount-name';
export const CLUSTER_NAME_TAG = 'alpha.eksctl.io/cluster-name';
/** The output eksctl gives the role's ARN. */
const ROLE_OUTPUT = 'Role1';

export interface IamServiceAccountStack {
  stackName: string;
  /** `alpha.eksctl.io/cluster-name`, when tagged. */
  clusterName?: string | undefined;
  /** `<namespace>/<service account>` from the tag. */
  serviceAccount: string;
  roleNames: string[];
}

function tagOf(stack: Stack, key: string): string | undefined {
  return stack.Tags?.find((tag) => tag.Key === key)?.Value;
}

async function stackRoleNames(stack: Stack): Promise<string[]> {
  const output = stack.Outputs?.find((candidate) => candidate.OutputKey === ROLE_OUTPUT);
  const fromOutput = output?.OutputValue ? parseRoleArn(output.OutputValue)?.name : undefined;
  if (fromOutput) return [fromOutput];
  // A stack without the output (edited by hand, or another tool's) still names its roles.
  const names: string[] = [];
  const pages = paginateListStackResources(
    { client: cloudFormationClient() },
    { StackName: stack.StackId ?? stack.StackName },
  );
  for await (const page of pages) {
    for (const resource of page.StackResourceSummaries ?? []) {
      if (resource.ResourceType === 'AWS::IAM::Role' && resource.PhysicalResourceId) {
        names.push(resource.PhysicalResourceId);
      }
    }
  }
  return names;
}

/**
 * Every live eksctl iamserviceaccount stack of the region, whatever cluster it was made for: a
 * role shared between clusters is still owned by the stack that created it.
 */
export async function listIamServiceAccountStacks(): Promise<IamServiceAccountStack[]> {
  const stacks: IamServiceAccountStack[] = [];
  for await (const page of paginateDescribeStacks({ client: cloudFormationClient() }, {})) {
    for (const stack of page.Stacks ?? []) {
      const serviceAccount = tagOf(stack, IAM_SERVICE_ACCOUNT_TAG);
      if (serviceAccount === undefined || stack.StackStatus === 'DELETE_COMPLETE') continue;
      stacks.push({
        stackName: stack.StackName ?? '',
        clusterName: tagOf(stack, CLUSTER_NAME_TAG),
        serviceAccount,
        roleNames: await stackRoleNames(stack),
      });
    }
  }
  return stacks;
}
