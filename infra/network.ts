import { Fn, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as z from 'zod';
import { structuredContext } from './context.ts';
import { NetworkSettingsError } from './errors.ts';

/**
 * Where the tasks that call a cluster's Kubernetes API run. Needed for clusters whose API endpoint
 * is private (reachable from their VPC only); the VPC then needs a route to the AWS APIs as well
 * (NAT gateway, or interface endpoints for EKS, IAM, STS and S3).
 */
export interface KubernetesApiNetwork {
  readonly vpc: ec2.IVpc;
  /** @default the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default one security group the stack creates, allowing outbound HTTPS only */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

/**
 * `cdk deploy -c vpc='{"vpcId":"vpc-0abc…","subnetIds":["subnet-0a…","subnet-0b…"]}'`, optionally
 * with `"securityGroupIds":["sg-0…"]`, or the same object in cdk.json. IDs rather than a lookup,
 * so the synth stays offline.
 */
export const VPC_CONTEXT_KEY = 'vpc';

const id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), `expected ${prefix}-<hex id>`);

const vpcContextSchema = z.strictObject({
  vpcId: id('vpc'),
  subnetIds: z.array(id('subnet')).min(1, 'name at least one subnet'),
  securityGroupIds: z.array(id('sg')).min(1).optional(),
});

/** The VPC settings given as CDK context, imported by ID into the stack; undefined when absent. */
export function kubernetesApiNetworkFromContext(stack: Stack): KubernetesApiNetwork | undefined {
  const settings = structuredContext(
    stack.node,
    VPC_CONTEXT_KEY,
    (reason) => new NetworkSettingsError(reason),
  );
  if (settings === undefined) return undefined;
  const parsed = vpcContextSchema.safeParse(settings);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) =>
        `${issue.path.length > 0 ? issue.path.join('.') : '(the object)'}: ${issue.message}`,
    );
    throw new NetworkSettingsError(
      `context "${VPC_CONTEXT_KEY}" must be {"vpcId": "vpc-…", "subnetIds": ["subnet-…"], ` +
        `"securityGroupIds"?: ["sg-…"]}: ${problems.join('; ')}`,
    );
  }
  const { vpcId, subnetIds, securityGroupIds } = parsed.data;
  return {
    // The subnets are named explicitly, so the VPC's zones and subnet layout are never consulted;
    // the import only needs some zone list, and the region's (a token) is never rendered.
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'KubernetesApiVpc', {
      vpcId,
      availabilityZones: Fn.getAzs(),
    }),
    vpcSubnets: {
      subnets: subnetIds.map((subnetId) =>
        ec2.Subnet.fromSubnetId(stack, `KubernetesApiSubnet-${subnetId}`, subnetId),
      ),
    },
    securityGroups: securityGroupIds?.map((groupId) =>
      ec2.SecurityGroup.fromSecurityGroupId(
        stack,
        `KubernetesApiSecurityGroup-${groupId}`,
        groupId,
      ),
    ),
  };
}
