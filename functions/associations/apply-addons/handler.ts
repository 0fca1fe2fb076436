import {
  addonPodIdentityConfiguration,
  createAddonWith,
  describeSettledAddonState,
  updateAddonWith,
} from '../../aws/addons.ts';
import { addonCatalogue, describeCluster } from '../../aws/eks.ts';
import { listAssociations } from '../../aws/eks-associations.ts';
import {
  createManagedRole,
  deleteRoleCompletely,
  getRoleState,
  reconcileRole,
} from '../../aws/iam.ts';
import { defineTask } from '../../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { managedRoleDescription } from '../../core/naming.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { applyAddons } from './apply-addons.ts';
import { input, output } from './contract.ts';

export const handler = defineTask('apply-addons', { input, output }, (event) =>
  applyAddons(event, {
    loadAssociationRequest: (runId) => getRunDocument(runId, ASSOCIATION_DOCUMENTS.request),
    describeCluster,
    catalogue: addonCatalogue,
    podIdentityConfiguration: addonPodIdentityConfiguration,
    describeAddon: describeSettledAddonState,
    hasAssociation: async (clusterName, namespace, serviceAccount) =>
      (await listAssociations(clusterName, { namespace, serviceAccount })).length > 0,
    getRole: getRoleState,
    createRole: (role) =>
      createManagedRole(role, managedRoleDescription(event.clusterName, 'add-on')),
    reconcileRole,
    deleteRole: deleteRoleCompletely,
    createAddon: createAddonWith,
    updateAddon: updateAddonWith,
    saveResults: (runId, results) =>
      putRunDocument(runId, ASSOCIATION_DOCUMENTS.addonResults, results),
  }),
);
