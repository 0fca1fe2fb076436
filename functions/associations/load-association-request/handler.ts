import {
  accountRoleCount,
  getPolicyDocument,
  getRoleTags,
  listRoleNamesUnder,
} from '../../aws/iam.ts';
import { defineTask, functionAccount } from '../../aws/lambda.ts';
import { getSealedDocument, putRunDocument } from '../../aws/run-store.ts';
import { guardrailsFromEnv } from '../../core/associations/guardrails.ts';
import { parseWorkflowInput } from '../../core/associations/request.ts';
import { ROLE_PATH } from '../../core/naming.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { loadAssociationRequest } from './load-association-request.ts';

export const handler = defineTask('load-association-request', { input, output }, (event, context) =>
  loadAssociationRequest(event.runId, event, {
    deploymentRegion: process.env.AWS_REGION ?? '',
    // A typo in the settings fails the run (GuardrailSettingsError) instead of allowing too much.
    guardrails: guardrailsFromEnv(process.env),
    parseInput: parseWorkflowInput,
    account: async () => functionAccount(context),
    readConfig: (sealed) => getSealedDocument(sealed, ASSOCIATION_DOCUMENTS.config),
    saveRequest: (runId, request) => putRunDocument(runId, ASSOCIATION_DOCUMENTS.request, request),
    guardrailReaders: { roleTags: getRoleTags, policyDocument: getPolicyDocument },
    roleQuotaReaders: {
      accountRoles: accountRoleCount,
      createdRoleNames: () => listRoleNamesUnder(ROLE_PATH),
    },
  }),
);
