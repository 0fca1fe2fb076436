/**
 * Whether a new cluster is ready for the bootstrap, still on its way, or will never get there.
 */
import { NamedError } from '../errors.ts';

/** The cluster will not become ACTIVE (FAILED), or is going away (DELETING). */
export class ClusterCreationFailedError extends NamedError {
  override readonly name = 'ClusterCreationFailedError';
  constructor(
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

export type ClusterProgress = 'active' | 'waiting';

/** Statuses on the way to ACTIVE: EKS documents PENDING and UPDATING as transitional too. */
const ON_THE_WAY = new Set(['CREATING', 'PENDING', 'UPDATING']);

/** What the wait loop does next for a cluster in `status`; a status with no way to ACTIVE throws. */
export function clusterProgress(
  clusterName: string,
  region: string,
  status: string,
): ClusterProgress {
  if (status === 'ACTIVE') return 'active';
  if (ON_THE_WAY.has(status)) return 'waiting';
  const where = `cluster "${clusterName}" in ${region}`;
  if (status === 'DELETING') {
    throw new ClusterCreationFailedError(
      status,
      `${where} is DELETING: it was deleted before it became ACTIVE, so there is nothing to bootstrap`,
    );
  }
  throw new ClusterCreationFailedError(
    status,
    `${where} is ${status} and will not become ACTIVE; see its health issues with \`aws eks describe-cluster --name ${clusterName} --region ${region}\`, then delete it and create it again (the new CreateCluster starts another bootstrap)`,
  );
}
