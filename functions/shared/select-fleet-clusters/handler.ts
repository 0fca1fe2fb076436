import { describeCluster, listClusterNames } from '../../aws/eks.ts';
import { defineTask } from '../../aws/lambda.ts';
import { input, output } from './contract.ts';
import { selectFleetClusters } from './select-fleet-clusters.ts';

export const handler = defineTask('select-fleet-clusters', { input, output }, (event) =>
  selectFleetClusters(event, {
    deploymentRegion: process.env.AWS_REGION ?? '',
    listClusters: listClusterNames,
    clusterTags: async (name) => (await describeCluster(name))?.tags,
  }),
);
