import * as z from 'zod';
import { describeAssociations, listAssociations } from '../aws/eks-associations.ts';
import { getRoleState } from '../aws/iam.ts';
import { defineTask } from '../aws/lambda.ts';
import { getRunDocument, putRunDocument } from '../aws/run-store.ts';
import { findEksctlRoleStack } from '../aws/stacks.ts';
import type { AssociationRequest } from '../core/associations/request.ts';
import { planAssociations } from './plan-associations.ts';

const input = z.looseObject({ runId: z.string().min(1) });

export const handler = defineTask('plan-associations', input, (event) =>
  planAssociations(event.runId, {
    loadRequest: (runId) => getRunDocument<AssociationRequest>(runId, 'request'),
    listAssociations: (clusterName) => listAssociations(clusterName),
    describeAll: describeAssociations,
    getRoleState,
    findEksctlRoleStack,
    savePlan: (runId, plan) => putRunDocument(runId, 'plan', plan),
  }),
);
