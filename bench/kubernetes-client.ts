/**
 * Benchmark: the ways a Kubernetes task can make its few core/v1 calls (list and patch service
 * accounts, list pods), each bundled with the deployed esbuild settings (infra/task-bundle.ts) and
 * imported cold in a fresh Node process, against a bundle of the EKS client alone, which every
 * Kubernetes task carries anyway (DescribeCluster for the endpoint and CA):
 *
 * - eks-pia's adapter, `functions/aws/kubernetes.ts`: node's own HTTP(S), the EKS token signed
 *   with the SDK's SigV4 signer (what the tasks use);
 * - `@kubernetes/client-node` trimmed: only `KubeConfig` and `CoreV1Api` imported, the rest left to
 *   esbuild's tree shaking, beside the EKS client.
 *
 *   node --import tsx bench/kubernetes-client.ts
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildTaskBundles } from '../infra/task-bundle.ts';
import { COLD_IMPORT_RUNS, coldImportMedians } from './cold-import.ts';
import { printTable } from './common.ts';

const out = mkdtempSync(path.join(tmpdir(), 'eks-pia-kubernetes-client-'));
const adapter = path.resolve(import.meta.dirname, '../functions/aws/kubernetes.ts');

const EKS_CLIENT = `import { EKSClient } from '@aws-sdk/client-eks';
export const eks = new EKSClient({ region: 'us-east-1' });`;

const entries: Record<string, string> = {
  'EKS client alone': EKS_CLIENT,
  "eks-pia's adapter (node:https)": `import { kubernetesApiFor } from ${JSON.stringify(adapter)};
export const api = kubernetesApiFor;`,
  '@kubernetes/client-node, CoreV1Api only': `${EKS_CLIENT}
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
const config = new KubeConfig();
config.loadFromOptions({
  clusters: [{ name: 'c', server: 'https://127.0.0.1:1', caData: '' }],
  users: [{ name: 'u', token: 't' }],
  contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
  currentContext: 'x',
});
export const api = config.makeApiClient(CoreV1Api);`,
};

const built = await Promise.all(
  Object.entries(entries).map(async ([name, source], index) => {
    const entry = path.join(out, `entry-${index}.ts`);
    writeFileSync(entry, source);
    await buildTaskBundles({ [`bundle-${index}`]: entry }, out, { logLevel: 'silent' });
    const file = path.join(out, `bundle-${index}.mjs`);
    return { name, file, kib: readFileSync(file).length / 1024 };
  }),
);
const times = coldImportMedians(built.map(({ file }) => file));
const baseline = times[0] ?? Number.NaN;
printTable(
  `Kubernetes API clients for the tasks' core/v1 calls, cold import median of ${COLD_IMPORT_RUNS}`,
  built.map(({ name, kib }, index) => ({
    client: name,
    'bundle KiB': kib.toFixed(0),
    'cold import ms': (times[index] ?? Number.NaN).toFixed(0),
    'ratio to EKS client alone': ((times[index] ?? Number.NaN) / baseline).toFixed(2),
  })),
);
