import * as z from 'zod';
import { readConfigObject } from '../../aws/config-object.ts';
import { getPolicyDocument, getRoleTags } from '../../aws/iam.ts';
import { callerIdentity } from '../../aws/identity.ts';
import { defineTask } from '../../aws/lambda.ts';
import { putRunDocument } from '../../aws/run-store.ts';
import { guardrailsFromEnv } from '../../core/associations/guardrails.ts';
import { parseWorkflowInput } from '../../core/associations/request.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { loadRequest } from './load-request.ts';

const input = z.object({ runId: z.string().min(1), input: z.unknown() });

/** The fields of the task's result the workflow reads; the rest passes through unchecked. */
const output = z.discriminatedUnion('ignored', [
  z.object({ runId: z.string(), ignored: z.literal(true), reason: z.string() }),
  z.object({
    runId: z.string(),
    ignored: z.literal(false),
    operation: z.string(),
    clusterName: z.string(),
    region: z.string(),
    dryRun: z.boolean(),
    entryCount: z.number().int(),
    addonCount: z.number().int(),
  }),
]);

export const handler = defineTask('load-request', { input, output }, (event) =>
  loadRequest(event.runId, event.input, {
    deploymentRegion: process.env.AWS_REGION ?? '',
    // A typo in the settings fails the run (GuardrailSettingsError) instead of allowing too much.
    guardrails: guardrailsFromEnv(process.env),
    parseInput: parseWorkflowInput,
    account: async () => (await callerIdentity()).account,
    readConfig: readConfigObject,
    saveRequest: (runId, request) => putRunDocument(runId, ASSOCIATION_DOCUMENTS.request, request),
    guardrailReaders: { roleTags: getRoleTags, policyDocument: getPolicyDocument },
  }),
);
