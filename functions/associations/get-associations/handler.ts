import * as z from 'zod';
import { describeAssociations, listAssociations } from '../../aws/eks-associations.ts';
import { defineTask } from '../../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../../aws/run-store.ts';
import type { AssociationRequest } from '../../core/associations/request.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { getAssociations } from './get-associations.ts';

const input = z.looseObject({ runId: z.string().min(1) });

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
const output = z.object({
  workflow: z.literal('associations'),
  operation: z.literal('get'),
  clusterName: z.string(),
  region: z.string(),
  count: z.number().int(),
  associations: z.array(
    z.object({ AssociationARN: z.string(), Namespace: z.string(), ServiceAccountName: z.string() }),
  ),
});

export const handler = defineTask('get-associations', { input, output }, async (event) => {
  const request = await getRunDocument<AssociationRequest>(
    event.runId,
    ASSOCIATION_DOCUMENTS.request,
  );
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
