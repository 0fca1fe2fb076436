/** Cold imports of built bundles, each in a fresh Node process, as Lambda's init phase does it. */
import { execFileSync } from 'node:child_process';

export const COLD_IMPORT_RUNS = 9;

/** Milliseconds to import `file` in a fresh Node process. */
function coldImportMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`;
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    }).toString(),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * The median cold import of each file, imported in turns (a, b, a, b, ...) so that a slower
 * spell of the machine weighs on both alike rather than on whichever ran then.
 */
export function coldImportMedians(files: readonly string[]): number[] {
  const times = files.map((): number[] => []);
  for (let run = 0; run < COLD_IMPORT_RUNS; run += 1) {
    for (const [index, file] of files.entries()) times[index]?.push(coldImportMs(file));
  }
  return times.map(median);
}
