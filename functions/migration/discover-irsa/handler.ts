/**
 * Kubernetes calls: `list serviceaccounts` and `list pods`, through the access entry of the role
 * it shares (its AWS calls are in its descriptor). Nothing is changed. Roles outside the
 * deployment's migratableRoleArnPatterns (`MIGRATABLE_ROLES`) are planned as skipped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { listAddonRoles } from '../../aws/addons.ts';
import { describeAssociations, listAssociations } from '../../aws/eks-associations.ts';
import { getAccountSummary, getRoleTrust, listRolesTrusting } from '../../aws/iam.ts';
import { defineTask } from '../../aws/lambda.ts';
import { putRunDocument } from '../../aws/run-store.ts';
import { listIamServiceAccountStacks } from '../../aws/stacks.ts';
import { migratableRolesFromEnv } from '../../core/migration/migratable.ts';
import { MIGRATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { discoverIrsa } from './discover-irsa.ts';
import { addonPodIdentityAccounts, kubernetesReader } from './readers.ts';

export const handler = defineTask('discover-irsa', { input, output }, (event) =>
  discoverIrsa(event, {
    // A typo in the setting fails the run (MigratableRolesSettingError) instead of planning
    // roles the migration's IAM refuses.
    migratableRoleArnPatterns: migratableRolesFromEnv(process.env),
    kubernetes: kubernetesReader,
    listRolesTrusting,
    getRoleTrust,
    listAddonRoles,
    addonPodIdentityAccounts,
    listIamServiceAccountStacks,
    listAssociations: (clusterName) => listAssociations(clusterName),
    describeAssociations,
    getAccountSummary,
    savePlan: (runId, plan) => putRunDocument(runId, MIGRATION_DOCUMENTS.plan, plan),
    saveBatch: (runId, batch, document) =>
      putRunDocument(runId, MIGRATION_DOCUMENTS.batch(batch), document),
    sleep: (milliseconds) => sleep(milliseconds),
  }),
);
