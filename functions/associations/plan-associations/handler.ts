import { describeAssociations, listAssociations } from '../../aws/eks-associations.ts';
import { getRoleState, listRoleNamesUnder } from '../../aws/iam.ts';
import { defineTask } from '../../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { findEksctlRoleStack } from '../../aws/stacks.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { planAssociations } from './plan-associations.ts';

export const handler = defineTask('plan-associations', { input, output }, (event) =>
  planAssociations(event.runId, {
    loadAssociationRequest: (runId) => getRunDocument(runId, ASSOCIATION_DOCUMENTS.request),
    listAssociations: (clusterName) => listAssociations(clusterName),
    describeAll: describeAssociations,
    getRoleState,
    findEksctlRoleStack,
    listRoleNames: () => listRoleNamesUnder('/'),
    savePlan: (runId, plan) => putRunDocument(runId, ASSOCIATION_DOCUMENTS.plan, plan),
    saveRoleUsage: (runId, usage) => putRunDocument(runId, ASSOCIATION_DOCUMENTS.roleUsage, usage),
    saveBatch: (runId, document) =>
      putRunDocument(runId, ASSOCIATION_DOCUMENTS.batch(document.batch), document),
  }),
);
