/**
 * One-off used for issue 12's layout: moves each task folder `functions/<task>/` to
 * `functions/<group>/<task>/` (the group of the workflow that uses it, `shared` when several do),
 * does the same for the test fixtures' function folders, and rewrites every relative import in
 * the repository so it points at the moved files. Run with `npx tsx scripts/move-tasks.ts`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { workflowsByTask } from '../functions/core/workflow-files.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const REAL_GROUPS: Record<string, string> = {
  associations: 'associations',
  'migrate-to-pod-identity': 'migration',
  'bootstrap-cluster': 'bootstrap',
  'ensure-addon': 'addons',
};

/** [old folder, new folder] for every flat task folder under functionsDir. */
function movesOf(
  functionsDir: string,
  stateMachinesDirs: string[],
  groupOf: (workflow: string) => string,
): [string, string][] {
  const workflows = new Map<string, Set<string>>();
  for (const dir of stateMachinesDirs)
    for (const [task, names] of workflowsByTask(dir))
      for (const name of names) workflows.set(task, (workflows.get(task) ?? new Set()).add(name));
  return readdirSync(functionsDir)
    .filter((task) => existsSync(path.join(functionsDir, task, 'handler.ts')))
    .map((task) => {
      const names = [...(workflows.get(task) ?? [])];
      if (names.length === 0) throw new Error(`no workflow uses ${functionsDir}/${task}`);
      const group = names.length > 1 ? 'shared' : groupOf(names[0] as string);
      return [path.join(functionsDir, task), path.join(functionsDir, group, task)];
    });
}

const moves = [
  ...movesOf(path.join(ROOT, 'functions'), [path.join(ROOT, 'state-machines')], (workflow) => {
    const group = REAL_GROUPS[workflow];
    if (group === undefined) throw new Error(`no group for workflow ${workflow}`);
    return group;
  }),
  ...movesOf(
    path.join(ROOT, 'test/infra/fixtures/functions'),
    [
      path.join(ROOT, 'test/infra/fixtures/state-machines'),
      path.join(ROOT, 'test/infra/fixtures/associations'),
    ],
    (workflow) => workflow,
  ),
  ...movesOf(
    path.join(ROOT, 'test/unit/runner/fixtures/functions'),
    [path.join(ROOT, 'test/unit/runner/fixtures/state-machines')],
    (workflow) => workflow,
  ),
];

function moved(file: string): string {
  for (const [from, to] of moves)
    if (file === from || file.startsWith(`${from}${path.sep}`)) return to + file.slice(from.length);
  return file;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', '.git', 'cdk.out'].includes(entry.name)) return [];
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) ? [file] : [];
  });
}

const SPECIFIER = /((?:from|import)\s*\(?\s*)'(\.{1,2}\/[^']+)'/g;
const rewritten = new Map<string, string>();
for (const file of sources(ROOT)) {
  const text = readFileSync(file, 'utf8');
  const newFile = moved(file);
  const next = text.replace(SPECIFIER, (whole, lead: string, specifier: string) => {
    const target = moved(path.resolve(path.dirname(file), specifier));
    let relative = path.relative(path.dirname(newFile), target).split(path.sep).join('/');
    if (!relative.startsWith('.')) relative = `./${relative}`;
    return relative === specifier ? whole : `${lead}'${relative}'`;
  });
  if (next !== text) rewritten.set(newFile, next);
}

for (const [from, to] of moves) {
  // Through a temporary name, since a task may share its group's name (fixtures' `slow/slow`).
  const temporary = `${from}.moving`;
  execFileSync('git', ['mv', from, temporary], { cwd: ROOT });
  execFileSync('mkdir', ['-p', path.dirname(to)]);
  execFileSync('git', ['mv', temporary, to], { cwd: ROOT });
}
for (const [file, text] of rewritten) writeFileSync(file, text);
console.log(`${moves.length} folders moved, ${rewritten.size} files' imports rewritten`);
