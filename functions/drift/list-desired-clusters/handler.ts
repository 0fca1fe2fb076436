import { GetObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../aws/clients.ts';
import { describeCluster } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { listKeys } from '../../aws/list-keys.ts';
import { configBucket } from '../../aws/run-store.ts';
import { type DesiredRun, desiredRunKey } from '../../core/desired-state.ts';
import { input, output } from './contract.ts';
import { listDesiredClusters } from './list-desired-clusters.ts';

export const handler = defineTask('list-desired-clusters', { input, output }, (event) => {
  const bucket = configBucket();
  return listDesiredClusters(event.input, {
    bucket,
    deploymentRegion: process.env.AWS_REGION ?? '',
    listKeys: (prefix) => listKeys(bucket, prefix),
    readRun: async (clusterName) => {
      const response = await s3Client().send(
        new GetObjectCommand({ Bucket: bucket, Key: desiredRunKey(clusterName) }),
      );
      return JSON.parse((await response.Body?.transformToString('utf8')) ?? '{}') as DesiredRun;
    },
    clusterTags: async (name) => (await describeCluster(name))?.tags,
  });
});
