import { readConfigObject } from '../../aws/config-object.ts';
import { defineTask } from '../../aws/lambda.ts';
import { putSealedRunDocument } from '../../aws/run-store.ts';
import { parseFleetInput } from '../../core/fleet/fleet-input.ts';
import { FLEET_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { readFleetConfigStep } from './read-fleet-config.ts';

export const handler = defineTask('read-fleet-config', { input, output }, (event) =>
  readFleetConfigStep(event.runId, event.input, {
    parseInput: parseFleetInput,
    readConfig: readConfigObject,
    saveConfig: (runId, config) => putSealedRunDocument(runId, FLEET_DOCUMENTS.config, config),
  }),
);
