import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.join(import.meta.dirname, '..', '..');
const DIRS = ['functions', 'infra', 'local'];
// Static imports and re-exports, type-only ones included: a cycle of types is still two modules
// that cannot be understood (or moved) one without the other.
const RELATIVE_IMPORT = /^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of DIRS.flatMap((dir) => tsFiles(path.join(ROOT, dir)))) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(RELATIVE_IMPORT)].flatMap((match) =>
      match[1]?.endsWith('.ts') ? [path.resolve(path.dirname(file), match[1])] : [],
    );
    graph.set(file, targets);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the files around it, relative to the root. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (file: string): void => {
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (onStack.has(next)) {
        found.push(stack.slice(stack.indexOf(next)).map((f) => path.relative(ROOT, f)));
      } else if (!done.has(next) && graph.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    onStack.delete(file);
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return found;
}

describe('imports under functions/, infra/ and local/', () => {
  it('form no cycle', () => {
    assert.deepEqual(cycles(importGraph()), []);
  });

  it('are found by the walk, cycles included', () => {
    const a = path.join(ROOT, 'a.ts');
    const b = path.join(ROOT, 'b.ts');
    const c = path.join(ROOT, 'c.ts');
    const graph = new Map([
      [a, [b]],
      [b, [c]],
      [c, [a]],
    ]);
    assert.deepEqual(cycles(graph), [['a.ts', 'b.ts', 'c.ts']]);
    assert.equal(
      [...readFileSync(path.join(ROOT, 'functions/core/arn.ts'), 'utf8').matchAll(RELATIVE_IMPORT)]
        .length,
      0,
    );
    const sample =
      "import { x } from './x.ts';\nexport { y } from '../y.ts';\nimport type {\n  Z,\n} from './z.ts';\n";
    assert.deepEqual(
      [...sample.matchAll(RELATIVE_IMPORT)].map((match) => match[1]),
      ['./x.ts', '../y.ts', './z.ts'],
    );
  });
});
