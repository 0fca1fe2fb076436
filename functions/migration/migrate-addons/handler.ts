import { describeSettledAddonState, updateAddonWith } from '../../aws/addons.ts';
import { getRoleTrust, updateTrust } from '../../aws/iam.ts';
import { defineTask } from '../../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { MIGRATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { migrateAddons } from './migrate-addons.ts';

export const handler = defineTask('migrate-addons', { input, output }, (event) =>
  migrateAddons(event, {
    loadPlan: (runId) => getRunDocument(runId, MIGRATION_DOCUMENTS.plan),
    getRoleTrust,
    updateTrust,
    addonState: async (clusterName, addonName) => {
      const addon = await describeSettledAddonState(clusterName, addonName);
      return (
        addon && {
          associations: addon.associations.map((association) => association.serviceAccount),
          serviceAccountRoleArn: addon.serviceAccountRoleArn,
        }
      );
    },
    updateAddon: updateAddonWith,
    saveResults: (runId, results) => putRunDocument(runId, MIGRATION_DOCUMENTS.addons, results),
  }),
);
