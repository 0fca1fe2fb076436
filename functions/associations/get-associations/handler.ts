import { describeAssociations, listAssociations } from '../../aws/eks-associations.ts';
import { defineTask } from '../../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { getAssociations } from './get-associations.ts';

export const handler = defineTask('get-associations', { input, output }, async (event) => {
  const request = await getRunDocument(event.runId, ASSOCIATION_DOCUMENTS.request);
  return getAssociations(
    {
      runId: event.runId,
      clusterName: request.clusterName,
      region: request.region,
      filter: request.filter,
    },
    {
      listAssociations: (clusterName, filter) => listAssociations(clusterName, filter),
      describeAll: describeAssociations,
      savePage: (runId, page, rows) =>
        putRunDocument(runId, ASSOCIATION_DOCUMENTS.getPage(page), rows),
    },
  );
});
