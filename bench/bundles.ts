/**
 * Benchmark: each task's Lambda bundle, built as TaskFunction builds it (infra/task-bundle.ts),
 * against the 400 KiB budget (which test/infra/bundle-size.test.ts enforces); and its cold import
 * time against a bundle of only the SDK clients it uses, built the same way, each imported in a
 * fresh Node process.
 *
 *   node --import tsx bench/bundles.ts [--sizes] [task ...]   (default: every task; --sizes skips
 *                                                              the cold imports)
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { handlerEntry, listTasks } from '../functions/core/workflow-files.ts';
import { FUNCTIONS_DIR } from '../infra/paths.ts';
import {
  BUNDLE_BUDGET_KIB,
  type BundledSdk,
  buildTaskBundles,
  bundledSdk,
} from '../infra/task-bundle.ts';
import { COLD_IMPORT_RUNS, coldImportMedians } from './cold-import.ts';
import { printTable } from './common.ts';

const out = mkdtempSync(path.join(tmpdir(), 'eks-pia-bundles-'));

async function bundle(
  entry: string,
  name: string,
): Promise<{ file: string; kib: number; sdk: BundledSdk | undefined }> {
  const { metafile } = await buildTaskBundles({ [name]: entry }, out, {
    logLevel: 'silent',
    metafile: true,
  });
  const file = path.join(out, `${name}.mjs`);
  const sdk = metafile === undefined ? undefined : bundledSdk(metafile).get(name);
  return { file, kib: readFileSync(file).length / 1024, sdk };
}

/** A module that builds one of each SDK client the task's bundle builds. */
function sdkOnlyEntry(task: string, sdk: BundledSdk | undefined): string {
  const lines = [...(sdk?.clients ?? [])].map(
    ([name, client]) =>
      `import { ${client} } from '${name}';\nnew ${client}({ region: 'us-east-1' });`,
  );
  const entry = path.join(out, `${task}-sdk.ts`);
  writeFileSync(entry, lines.join('\n') || 'export {};');
  return entry;
}

const args = process.argv.slice(2);
const sizesOnly = args.includes('--sizes');
const only = args.filter((arg) => arg !== '--sizes');
const tasks = [...listTasks(FUNCTIONS_DIR).keys()].filter(
  (task) => only.length === 0 || only.includes(task),
);
const rows = [];
for (const task of tasks) {
  const handler = await bundle(handlerEntry(FUNCTIONS_DIR, task), task);
  const sdk = await bundle(sdkOnlyEntry(task, handler.sdk), `${task}-sdk`);
  const sizes = {
    task,
    'bundle KiB': handler.kib.toFixed(0),
    'over budget': handler.kib > BUNDLE_BUDGET_KIB ? 'yes' : 'no',
    'SDK clients alone KiB': sdk.kib.toFixed(0),
  };
  if (sizesOnly) {
    rows.push(sizes);
    continue;
  }
  const [handlerMs = Number.NaN, sdkMs = Number.NaN] = coldImportMedians([handler.file, sdk.file]);
  rows.push({
    ...sizes,
    'cold import ms': handlerMs.toFixed(0),
    'SDK alone ms': sdkMs.toFixed(0),
    ratio: (handlerMs / sdkMs).toFixed(2),
  });
}
printTable(
  sizesOnly
    ? `Lambda bundles (budget ${BUNDLE_BUDGET_KIB} KiB)`
    : `Lambda bundles (budget ${BUNDLE_BUDGET_KIB} KiB), cold import median of ${COLD_IMPORT_RUNS}`,
  rows,
);
