/**
 * The IRSA roles of a cluster's EKS add-ons (`serviceAccountRoleArn`). Their service accounts
 * are migrated through the add-on (its `podIdentityAssociations`), never by associations made
 * beside it, which the add-on would not know about.
 */
import {
  CreateAddonCommand,
  DescribeAddonCommand,
  DescribeAddonConfigurationCommand,
  InvalidParameterException,
  paginateListAddons,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateAddonCommand,
} from '@aws-sdk/client-eks';
import pMap from 'p-map';
import type {
  AddonAssociationPlan,
  ExistingAddon,
  PodIdentityServiceAccount,
} from '../core/addon-plan.ts';
import { eksClient } from './clients.ts';
import { unlessNotFound } from './eks.ts';
import {
  describeAssociation,
  listAssociations,
  retryWhileRoleNotVisible,
} from './eks-associations.ts';
import { pollPause, waitDeadline } from './polling.ts';

export interface AddonRole {
  addonName: string;
  roleArn: string;
  version: string;
  hasPodIdentityAssociations: boolean;
  configurationValues?: string | undefined;
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
      const addon = await describeRaw(clusterName, addonName);
      return addon?.serviceAccountRoleArn
        ? {
            addonName,
            roleArn: addon.serviceAccountRoleArn,
            version: addon.addonVersion ?? '',
            hasPodIdentityAssociations: (addon.podIdentityAssociations ?? []).length > 0,
            configurationValues: addon.configurationValues || undefined,
          }
        : undefined;
    },
    { concurrency: DESCRIBE_CONCURRENCY },
  );
  return roles.filter((role) => role !== undefined);
}

/** The add-on as it is, with the associations it owns; undefined when it is not installed. */
export async function describeAddonState(
  clusterName: string,
  addonName: string,
): Promise<ExistingAddon | undefined> {
  const addon = await describeRaw(clusterName, addonName);
  return addon ? addonState(clusterName, addon) : undefined;
}

async function addonState(
  clusterName: string,
  addon: NonNullable<Awaited<ReturnType<typeof describeRaw>>>,
): Promise<ExistingAddon> {
  const owned = (addon.podIdentityAssociations ?? []).length > 0;
  const summaries = owned
    ? (await listAssociations(clusterName)).filter((summary) => summary.ownerArn === addon.addonArn)
    : [];
  const associations = await pMap(
    summaries,
    (summary) => describeAssociation(clusterName, summary.associationId),
    { concurrency: DESCRIBE_CONCURRENCY },
  );
  return {
    arn: addon.addonArn ?? '',
    version: addon.addonVersion ?? '',
    status: addon.status ?? 'UNKNOWN',
    serviceAccountRoleArn: addon.serviceAccountRoleArn || undefined,
    configurationValues: addon.configurationValues || undefined,
    healthIssues: addon.health?.issues?.length ?? 0,
    associations: associations.flatMap((association) =>
      association
        ? [
            {
              associationId: association.associationId,
              namespace: association.namespace,
              serviceAccount: association.serviceAccount,
              roleArn: association.roleArn,
            },
          ]
        : [],
    ),
  };
}

const SETTLING_STATUSES = new Set(['CREATING', 'UPDATING', 'DELETING']);

/**
 * As `describeAddonState`, once an operation under way on the add-on has settled (or the settle
 * wait ran out): EKS refuses to update an add-on that is still creating or updating, which is
 * what a rerun right after an interrupted one, or a create followed by an update, meets.
 */
export async function describeSettledAddonState(
  clusterName: string,
  addonName: string,
): Promise<ExistingAddon | undefined> {
  const deadline = waitDeadline('settle');
  for (;;) {
    const addon = await describeRaw(clusterName, addonName);
    if (!addon) return undefined;
    if (!SETTLING_STATUSES.has(addon.status ?? '') || Date.now() > deadline) {
      return addonState(clusterName, addon);
    }
    await pollPause();
  }
}

/** The add-on as DescribeAddon returns it; undefined when it is not installed. */
async function describeRaw(clusterName: string, addonName: string) {
  return (
    await unlessNotFound(eksClient().send(new DescribeAddonCommand({ clusterName, addonName })))
  )?.addon;
}

/**
 * The service accounts an add-on version takes pod identity associations for (empty when the
 * version does not support pod identity), or EKS's refusal of the name or version.
 */
export async function addonPodIdentityConfiguration(
  addonName: string,
  addonVersion: string,
): Promise<{ accounts: PodIdentityServiceAccount[] } | { refused: string }> {
  try {
    const answer = await eksClient().send(
      new DescribeAddonConfigurationCommand({ addonName, addonVersion }),
    );
    return {
      accounts: (answer.podIdentityConfiguration ?? []).map((entry) => ({
        serviceAccount: entry.serviceAccount ?? '',
        recommendedManagedPolicies: entry.recommendedManagedPolicies ?? [],
      })),
    };
  } catch (error) {
    if (error instanceof InvalidParameterException || error instanceof ResourceNotFoundException)
      return { refused: error.message };
    throw error;
  }
}

export interface AddonWrite {
  clusterName: string;
  addonName: string;
  addonVersion: string;
  configurationValues?: string | undefined;
  resolveConflicts?: 'NONE' | 'OVERWRITE' | 'PRESERVE' | undefined;
  serviceAccountRoleArn?: string | undefined;
  /** Undefined: not sent (UpdateAddon keeps them); `[]` removes every association. */
  podIdentityAssociations?: AddonAssociationPlan[] | undefined;
}

/**
 * Creates the add-on; `exists` when it is there already (a retried task, or another actor).
 * A role created moments ago may not be visible to EKS yet, so that refusal is retried.
 */
export async function createAddonWith(
  input: AddonWrite & { tags: Record<string, string>; clientRequestToken: string },
): Promise<'created' | 'exists'> {
  try {
    await retryWhileRoleNotVisible(() =>
      eksClient().send(
        new CreateAddonCommand({
          ...input,
          tags: Object.keys(input.tags).length > 0 ? input.tags : undefined,
        }),
      ),
    );
    return 'created';
  } catch (error) {
    if (error instanceof ResourceInUseException && /already exists/i.test(error.message))
      return 'exists';
    throw error;
  }
}

export async function updateAddonWith(input: AddonWrite): Promise<void> {
  await retryWhileRoleNotVisible(() => eksClient().send(new UpdateAddonCommand(input)));
}
