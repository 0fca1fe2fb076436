import { describeAssociation } from '../../aws/eks-associations.ts';
import { getPolicyDocument, getRoleTrust } from '../../aws/iam.ts';
import { defineTask } from '../../aws/lambda.ts';
import { getAndSealRunDocument, getRunDocument } from '../../aws/run-store.ts';
import { deleteEksctlRoleStack, findEksctlRoleStack } from '../../aws/stacks.ts';
import { guardrailsFromEnv } from '../../core/associations/guardrails.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { prepareAssociationBatch } from './prepare-association-batch.ts';

export const handler = defineTask('prepare-association-batch', { input, output }, (event) =>
  prepareAssociationBatch(event, {
    guardrails: guardrailsFromEnv(process.env),
    policyDocument: getPolicyDocument,
    loadBatch: (runId, batch) => getAndSealRunDocument(runId, ASSOCIATION_DOCUMENTS.batch(batch)),
    loadRoleUsage: (runId) => getRunDocument(runId, ASSOCIATION_DOCUMENTS.roleUsage),
    getRoleTrust,
    describeAssociation,
    findEksctlRoleStack,
    deleteEksctlRoleStack,
  }),
);
