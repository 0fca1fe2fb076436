import { defineTask } from '../../aws/lambda.ts';
import { getSealedDocument, putRunDocument, runDocumentLocation } from '../../aws/run-store.ts';
import { FLEET_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { prepareFleetConfigs } from './prepare-fleet-configs.ts';

export const handler = defineTask('prepare-fleet-configs', { input, output }, (event) =>
  prepareFleetConfigs(event, {
    region: process.env.AWS_REGION ?? '',
    readConfig: (sealed) => getSealedDocument(sealed, FLEET_DOCUMENTS.config),
    saveClusterConfig: async (runId, clusterName, value) => {
      const document = FLEET_DOCUMENTS.clusterConfig(clusterName);
      await putRunDocument(runId, document, value);
      const { bucket, key } = runDocumentLocation(runId, document);
      return { bucket, key };
    },
  }),
);
