/**
 * The IRSA roles of a cluster's EKS add-ons (`serviceAccountRoleArn`). Their service accounts
 * are migrated through the add-on (its `podIdentityAssociations`), never by associations made
 * beside it, which the add-on would not know about.
 */
import {
  DescribeAddonCommand,
  paginateListAddons,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import pMap from 'p-map';
import { eksClient } from './clients.ts';

export interface AddonRole {
  addonName: string;
  roleArn: string;
}

/** Add-ons described at once: enough to hide latency, few enough not to trip EKS throttling. */
const DESCRIBE_CONCURRENCY = 4;

/** Every add-on of the cluster that has an IRSA role; add-ons deleted meanwhile are left out. */
export async function listAddonRoles(clusterName: string): Promise<AddonRole[]> {
  const names: string[] = [];
  for await (const page of paginateListAddons({ client: eksClient() }, { clusterName })) {
    names.push(...(page.addons ?? []));
  }
  const roles = await pMap(
    names,
    async (addonName): Promise<AddonRole | undefined> => {
      try {
        const { addon } = await eksClient().send(
          new DescribeAddonCommand({ clusterName, addonName }),
        );
        return addon?.serviceAccountRoleArn
          ? { addonName, roleArn: addon.serviceAccountRoleArn }
          : undefined;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw error;
      }
    },
    { concurrency: DESCRIBE_CONCURRENCY },
  );
  return roles.filter((role) => role !== undefined);
}
