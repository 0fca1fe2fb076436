/**
 * The desired state of each cluster the service manages declaratively: after every `apply` that
 * is not a dry run, the validated config it applied and how (its scope and prune), kept in the
 * config bucket under `desired/<cluster>/`. The drift check compares the cluster with it by
 * planning that same apply again, and heals by running it.
 */
import type { Scope } from './config/index.ts';

export const DESIRED_PREFIX = 'desired/';

const CONFIG_FILE = 'config.json';
const RUN_FILE = 'run.json';

/** The config of the cluster's last apply (a ClusterConfig, read as any config is). */
export function desiredConfigKey(clusterName: string): string {
  return `${DESIRED_PREFIX}${clusterName}/${CONFIG_FILE}`;
}

/** How the cluster's last apply ran. */
export function desiredRunKey(clusterName: string): string {
  return `${DESIRED_PREFIX}${clusterName}/${RUN_FILE}`;
}

/** The cluster a key under `desired/` records, when it is a record's run file. */
export function clusterOfDesiredRunKey(key: string): string | undefined {
  if (!key.startsWith(DESIRED_PREFIX) || !key.endsWith(`/${RUN_FILE}`)) return undefined;
  const name = key.slice(DESIRED_PREFIX.length, -(RUN_FILE.length + 1));
  return name === '' || name.includes('/') ? undefined : name;
}

export interface DesiredRun {
  scope: Scope;
  prune: boolean;
  /** The run that applied it. */
  runId: string;
}
