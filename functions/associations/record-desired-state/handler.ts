import { defineTask } from '../../aws/lambda.ts';
import { getRunDocument, putJsonObject } from '../../aws/run-store.ts';
import { parseWorkflowInput } from '../../core/associations/request.ts';
import { desiredConfigKey, desiredRunKey } from '../../core/desired-state.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { recordDesiredState } from './record-desired-state.ts';

export const handler = defineTask('record-desired-state', { input, output }, (event) =>
  recordDesiredState(event, {
    parseInput: parseWorkflowInput,
    readConfig: (runId) => getRunDocument(runId, ASSOCIATION_DOCUMENTS.config),
    saveDesiredState: async (clusterName, config, run) => {
      // The config first: a run file always names a config that is there.
      const location = await putJsonObject(desiredConfigKey(clusterName), JSON.stringify(config));
      await putJsonObject(desiredRunKey(clusterName), JSON.stringify(run));
      return location;
    },
  }),
);
