import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FUNCTIONS_DIR, PROJECT_ROOT } from '../../infra/paths.ts';
import { BUNDLE_BUDGET_KIB, buildTaskBundles, literalSchemaKeys } from '../../infra/task-bundle.ts';
import { handlerEntry } from '../../infra/workflow-files.ts';

const TASKS = readdirSync(FUNCTIONS_DIR).filter((task) =>
  existsSync(handlerEntry(FUNCTIONS_DIR, task)),
);

describe('SDK schema rewrite', () => {
  it('writes constant keys in place and leaves everything else alone', () => {
    const source = [
      'const _e = "error";',
      'const _hE = "httpError";',
      'export var E$ = [-3, n0, _E, { [_e]: _c, [_hE]: 400 }, [_m], [0]];',
      'const x = { [other]: 1, [_unknown]: 2 }; const y = a ? [_e] : b;',
    ].join('\n');
    const { code, rewritten } = literalSchemaKeys(source);
    assert.equal(rewritten, 2);
    assert.match(code, /\{ "error": _c, "httpError": 400 \}/);
    assert.match(code, /\{ \[other\]: 1, \[_unknown\]: 2 \}; const y = a \? \[_e\] : b;/);
  });

  it("still finds computed keys in every SDK client's schema module (else the SDK changed shape)", () => {
    const clients = readdirSync(path.join(PROJECT_ROOT, 'node_modules', '@aws-sdk')).filter(
      (name) => name.startsWith('client-'),
    );
    assert.ok(clients.length > 0);
    for (const client of clients) {
      const file = path.join(
        PROJECT_ROOT,
        'node_modules',
        '@aws-sdk',
        client,
        'dist-es',
        'schemas',
        'schemas_0.js',
      );
      const { rewritten } = literalSchemaKeys(readFileSync(file, 'utf8'));
      assert.ok(rewritten > 0, `${client}: no computed schema keys rewritten`);
    }
  });
});

describe('Lambda bundle sizes', () => {
  it(`keeps every task's bundle within ${BUNDLE_BUDGET_KIB} KiB`, async () => {
    assert.ok(TASKS.length > 0, `no task handlers found under ${FUNCTIONS_DIR}`);
    // One build of every task with TaskFunction's options, in memory (nothing imported or run).
    const result = await buildTaskBundles(
      Object.fromEntries(TASKS.map((task) => [task, handlerEntry(FUNCTIONS_DIR, task)])),
      path.join(tmpdir(), 'eks-pia-bundle-size'),
      { write: false, logLevel: 'error' },
    );
    const kib = new Map(
      result.outputFiles
        ?.filter((file) => file.path.endsWith('.mjs'))
        .map((file) => [path.basename(file.path, '.mjs'), file.contents.length / 1024]),
    );
    assert.deepEqual([...kib.keys()].sort(), [...TASKS].sort(), 'one bundle per task');
    const over = [...kib]
      .filter(([, size]) => size > BUNDLE_BUDGET_KIB)
      .sort(([, a], [, b]) => b - a)
      .map(([task, size]) => `${task}: ${size.toFixed(1)} KiB`);
    assert.deepEqual(
      over,
      [],
      `bundles over ${BUNDLE_BUDGET_KIB} KiB (see bench/bundles.ts for the SDK's share):\n  ${over.join('\n  ')}`,
    );
  });
});
