import type { ClusterDetails } from '../../aws/eks.ts';
import { existingCluster } from '../../core/addon.ts';
import { type ClusterProgress, clusterProgress } from '../../core/bootstrap/cluster-status.ts';
import type { TaskInput } from '../../core/task-contract.ts';
import type * as contract from './contract.ts';

/** The input its contract checks. */
export type PollClusterStatusInput = TaskInput<typeof contract>;

export interface PollClusterStatusResult {
  progress: ClusterProgress;
  status: string;
  arn: string;
  version: string;
  autoMode: boolean;
  /** Its EKS tags, which fleet configs may select it by. */
  tags: Record<string, string>;
}

export interface PollClusterStatusDeps {
  describeCluster(name: string): Promise<ClusterDetails | undefined>;
}

/** One check of the bootstrap's wait loop: ACTIVE, still on its way, or an error that ends it. */
export async function pollClusterStatus(
  input: PollClusterStatusInput,
  deps: PollClusterStatusDeps,
): Promise<PollClusterStatusResult> {
  const cluster = await existingCluster(
    deps.describeCluster,
    input,
    'it was deleted, or the name or region is wrong',
  );
  return {
    progress: clusterProgress(input.clusterName, input.region, cluster.status),
    status: cluster.status,
    arn: cluster.arn,
    version: cluster.version,
    autoMode: cluster.autoMode,
    tags: cluster.tags,
  };
}
