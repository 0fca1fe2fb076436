/** Runs the CLI in this process, collecting what it prints. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../local/cli/main.ts';

export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

/** A fresh temporary folder for a test's files. */
export function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'eks-pia-cli-'));
}
