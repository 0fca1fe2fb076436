import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../aws/clients.ts';
import { defineTask } from '../../aws/lambda.ts';
import { configBucket, getRunDocument } from '../../aws/run-store.ts';
import { parseWorkflowInput } from '../../core/associations/request.ts';
import { desiredConfigKey, desiredRunKey } from '../../core/desired-state.ts';
import { ASSOCIATION_DOCUMENTS } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { recordDesiredState } from './record-desired-state.ts';

async function putJson(key: string, value: unknown): Promise<void> {
  await s3Client().send(
    new PutObjectCommand({
      Bucket: configBucket(),
      Key: key,
      Body: JSON.stringify(value),
      ContentType: 'application/json',
    }),
  );
}

export const handler = defineTask('record-desired-state', { input, output }, (event) =>
  recordDesiredState(event, {
    parseInput: parseWorkflowInput,
    readConfig: (runId) => getRunDocument(runId, ASSOCIATION_DOCUMENTS.config),
    saveDesiredState: async (clusterName, config, run) => {
      // The config first: a run file always names a config that is there.
      await putJson(desiredConfigKey(clusterName), config);
      await putJson(desiredRunKey(clusterName), run);
      return `s3://${configBucket()}/${desiredConfigKey(clusterName)}`;
    },
  }),
);
