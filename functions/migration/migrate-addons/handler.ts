/**
 * AWS calls: iam:GetRole, iam:UpdateAssumeRolePolicy (the add-ons' roles); eks:DescribeAddon,
 * eks:UpdateAddon (with podIdentityAssociations: iam:PassRole), eks:ListPodIdentityAssociations,
 * eks:DescribePodIdentityAssociation; s3:GetObject, s3:PutObject (run store).
 */
import * as z from 'zod';
import { describeSettledAddonState, updateAddonWith } from '../../aws/addons.ts';
import { getRoleTrust, updateTrust } from '../../aws/iam.ts';
import { defineTask } from '../../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { RUN_DOCUMENTS } from '../../core/migration/outcomes.ts';
import type { MigrationPlan } from '../../core/migration/plan.ts';
import { migrateAddons } from './migrate-addons.ts';

const input = z.looseObject({ runId: z.string().min(1) });

/** What the task returns, checked before the workflow gets it. */
const output = z.object({ migrated: z.number().int(), failed: z.number().int() });

export const handler = defineTask('migrate-addons', { input, output }, (event) =>
  migrateAddons(event, {
    loadPlan: (runId) => getRunDocument<MigrationPlan>(runId, RUN_DOCUMENTS.plan),
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
    saveResults: (runId, results) => putRunDocument(runId, RUN_DOCUMENTS.addons, results),
  }),
);
