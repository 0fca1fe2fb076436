import type { ClusterDetails } from '../../aws/eks.ts';
import {
  type AddonSummary,
  assertClusterOperable,
  existingCluster,
  POD_IDENTITY_AGENT,
} from '../../core/addon.ts';
import { asError, NamedError } from '../../core/errors.ts';

export class AgentMissingError extends NamedError {
  override readonly name = 'AgentMissingError';
}

export interface CheckClusterReadinessInput {
  clusterName: string;
  region: string;
  operation: string;
  /** Standalone associations in the run; only they need the agent now (default: some). */
  entryCount?: number | undefined;
  /** The run's addons: section installs the agent before the associations are created. */
  installsAgent?: boolean | undefined;
}

export interface CheckClusterReadinessResult {
  arn: string;
  status: string;
  version: string;
  autoMode: boolean;
  agentInstalled: boolean;
  authenticationMode: string;
  oidcIssuer: string | null;
}

export interface CheckClusterReadinessDeps {
  describeCluster(name: string): Promise<ClusterDetails | undefined>;
  describeAddon(clusterName: string, addonName: string): Promise<AddonSummary | undefined>;
}

/** Operations that create associations need the agent; the others only need the cluster. */
const NEEDS_AGENT = new Set(['create', 'apply']);

/**
 * The preconditions checked before anything is changed: the cluster exists and is operable, and
 * the pod identity agent runs there (EKS Auto Mode has it built in) when associations are created.
 */
export async function checkClusterReadiness(
  input: CheckClusterReadinessInput,
  deps: CheckClusterReadinessDeps,
): Promise<CheckClusterReadinessResult> {
  const cluster = await existingCluster(
    deps.describeCluster,
    input,
    'check metadata.name and metadata.region (or --cluster and --region)',
  );
  if (input.operation !== 'get') assertClusterOperable(cluster, input.region);
  // eksctl accepts the agent in any status: a settling add-on still serves new pods once ready.
  const agentInstalled = cluster.autoMode || (await agentAddon(input.clusterName, deps));
  const needsAgent =
    NEEDS_AGENT.has(input.operation) && (input.entryCount ?? 1) > 0 && input.installsAgent !== true;
  if (needsAgent && !agentInstalled) {
    throw new AgentMissingError(
      `the "${POD_IDENTITY_AGENT}" addon must be installed to create pod identity associations; please enable it using \`eks-pia create addon --cluster=${input.clusterName} --name=${POD_IDENTITY_AGENT}\``,
    );
  }
  return {
    arn: cluster.arn,
    status: cluster.status,
    version: cluster.version,
    autoMode: cluster.autoMode,
    agentInstalled,
    authenticationMode: cluster.authenticationMode,
    oidcIssuer: cluster.oidcIssuer ?? null,
  };
}

/**
 * Whether the agent add-on exists; other errors carry eksctl's prefix (spec §2) and keep their
 * name, so the workflow still retries a throttled call.
 */
async function agentAddon(clusterName: string, deps: CheckClusterReadinessDeps): Promise<boolean> {
  try {
    return (await deps.describeAddon(clusterName, POD_IDENTITY_AGENT)) !== undefined;
  } catch (error) {
    const failure = asError(error);
    failure.message = `calling "EKS::DescribeAddon::${POD_IDENTITY_AGENT}": ${failure.message}`;
    throw failure;
  }
}
