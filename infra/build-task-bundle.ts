/**
 * Builds one task's Lambda bundle with the project's esbuild options (infra/task-bundle.ts):
 *
 *   node --import tsx infra/build-task-bundle.ts <handler.ts> <output folder>
 *
 * writes `<output folder>/index.mjs` and its source map. TaskFunction runs it as CDK's local
 * bundling step: that step is synchronous, and esbuild runs plugins only from its asynchronous
 * API, so the build happens in a child process.
 */
import path from 'node:path';
import { buildTaskBundles } from './task-bundle.ts';

const [entry, outdir] = process.argv.slice(2);
if (entry === undefined || outdir === undefined) {
  console.error('usage: node --import tsx infra/build-task-bundle.ts <handler.ts> <output folder>');
  process.exit(2);
}
try {
  await buildTaskBundles({ index: path.resolve(entry) }, path.resolve(outdir));
} catch {
  // esbuild has already printed its errors.
  process.exit(1);
}
