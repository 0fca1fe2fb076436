/**
 * AWS calls: eks:DescribeCluster; Kubernetes `list serviceaccounts` and `list pods` (through the
 * access entry); iam:ListRoles, iam:GetRole, iam:GetAccountSummary;
 * eks:ListAddons, eks:DescribeAddon; cloudformation:DescribeStacks,
 * cloudformation:ListStackResources; eks:ListPodIdentityAssociations,
 * eks:DescribePodIdentityAssociation; s3:PutObject (run store). Nothing is changed. Roles outside
 * the deployment's migratableRoleArnPatterns (`MIGRATABLE_ROLES`) are planned as skipped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { addonPodIdentityConfiguration, listAddonRoles } from '../../aws/addons.ts';
import { describeAssociations, listAssociations } from '../../aws/eks-associations.ts';
import { getAccountSummary, getRoleTrust, listRolesTrusting } from '../../aws/iam.ts';
import { kubernetesApiForCluster, listPods, listServiceAccounts } from '../../aws/kubernetes.ts';
import { defineTask } from '../../aws/lambda.ts';
import { putRunDocument } from '../../aws/run-store.ts';
import { listIamServiceAccountStacks } from '../../aws/stacks.ts';
import { migratableRolesFromEnv } from '../../core/migration/migratable.ts';
import { RUN_DOCUMENTS } from '../../core/migration/outcomes.ts';
import { DISCOVERY_MODES } from '../../core/migration/request.ts';
import { discoverIrsa, type KubernetesReader } from './discover-irsa.ts';

const input = z.looseObject({
  runId: z.string().min(1),
  clusterName: z.string().min(1),
  region: z.string().min(1),
  approve: z.boolean(),
  removeOidcProviderTrustRelationship: z.boolean(),
  discovery: z.enum(DISCOVERY_MODES),
  namespaces: z.array(z.string().min(1)),
  allowStackDrift: z.boolean(),
  providerArn: z.string().min(1),
  agentInstalled: z.boolean(),
  readAccess: z.looseObject({
    granted: z.boolean(),
    changed: z.boolean(),
    warning: z.string().optional(),
  }),
});

async function kubernetes(clusterName: string): Promise<KubernetesReader> {
  const { api, cluster } = await kubernetesApiForCluster(clusterName);
  return {
    authenticationMode: cluster.authenticationMode,
    serviceAccounts: (namespace) =>
      listServiceAccounts(api, namespace === undefined ? {} : { namespace }),
    pods: (namespace) => listPods(api, namespace === undefined ? {} : { namespace }),
  };
}

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
const output = z.object({
  planDocument: z.string(),
  discovery: z.enum(['kubernetes', 'iam']),
  serviceAccounts: z.number().int(),
  roles: z.number().int(),
  hasWork: z.boolean(),
  createsAssociations: z.boolean(),
  migratesAddons: z.boolean(),
  batches: z.array(z.number().int()),
  removesAnnotations: z.boolean(),
});

export const handler = defineTask('discover-irsa', { input, output }, (event) =>
  discoverIrsa(event, {
    // A typo in the setting fails the run (MigratableRolesSettingError) instead of planning
    // roles the migration's IAM refuses.
    migratableRoleArnPatterns: migratableRolesFromEnv(process.env),
    kubernetes,
    listRolesTrusting,
    getRoleTrust,
    listAddonRoles,
    addonPodIdentityAccounts: async (addonName, addonVersion) => {
      const answer = await addonPodIdentityConfiguration(addonName, addonVersion);
      return 'refused' in answer ? [] : answer.accounts.map((account) => account.serviceAccount);
    },
    listIamServiceAccountStacks,
    listAssociations: (clusterName) => listAssociations(clusterName),
    describeAssociations,
    getAccountSummary,
    savePlan: (runId, plan) => putRunDocument(runId, RUN_DOCUMENTS.plan, plan),
    saveBatch: (runId, batch, document) =>
      putRunDocument(runId, RUN_DOCUMENTS.batch(batch), document),
    sleep: (milliseconds) => sleep(milliseconds),
  }),
);
