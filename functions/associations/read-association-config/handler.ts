import { readConfigObject } from '../../aws/config-object.ts';
import { defineTask } from '../../aws/lambda.ts';
import { putSealedRunDocument } from '../../aws/run-store.ts';
import { parseWorkflowInput } from '../../core/associations/request.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { readAssociationConfig } from './read-association-config.ts';

export const handler = defineTask('read-association-config', { input, output }, (event) =>
  readAssociationConfig(event.runId, event.input, {
    parseInput: parseWorkflowInput,
    readConfig: readConfigObject,
    saveConfig: (runId, config) =>
      putSealedRunDocument(runId, ASSOCIATION_DOCUMENTS.config, config),
  }),
);
