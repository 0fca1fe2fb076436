import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { handlerEntry, listTasks } from '../../functions/core/workflow-files.ts';
import { FUNCTIONS_DIR, PROJECT_ROOT } from '../../infra/paths.ts';
import {
  BUNDLE_BUDGET_KIB,
  buildTaskBundles,
  compactErrorClasses,
  JS_HASH_FALLBACKS,
  literalSchemaKeys,
  packageVersionModule,
} from '../../infra/task-bundle.ts';

const TASKS = [...listTasks(FUNCTIONS_DIR).keys()];
const SDK_DIR = path.join(PROJECT_ROOT, 'node_modules', '@aws-sdk');
const SDK_CLIENTS = readdirSync(SDK_DIR).filter((name) => name.startsWith('client-'));

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
    assert.ok(SDK_CLIENTS.length > 0);
    for (const client of SDK_CLIENTS) {
      const file = path.join(SDK_DIR, client, 'dist-es', 'schemas', 'schemas_0.js');
      const { rewritten } = literalSchemaKeys(readFileSync(file, 'utf8'));
      assert.ok(rewritten > 0, `${client}: no computed schema keys rewritten`);
    }
  });
});

describe('SDK error classes in bundles', () => {
  const errorsModule = (client: string) =>
    path.join(SDK_DIR, client, 'dist-es', 'models', 'errors.js');
  const generated = (
    name: string,
    fault: string,
    body: { declared?: string[]; extra?: string[] },
  ) =>
    [
      `export class ${name} extends __BaseException {`,
      `    static shapeId = "com.amazonaws.x#${name}";`,
      `    name = "${name}";`,
      `    $fault = "${fault}";`,
      ...(body.declared ?? []),
      '    constructor(opts) {',
      '        super({',
      `            name: "${name}",`,
      `            $fault: "${fault}",`,
      '            ...opts,',
      '        });',
      `        Object.setPrototypeOf(this, ${name}.prototype);`,
      ...(body.extra ?? []),
      '    }',
      '}',
      '',
    ].join('\n');
  const header = 'import { XServiceException as __BaseException } from "./XServiceException";\n';

  it('writes each class as a factory call with what sets it apart', () => {
    const source =
      header +
      generated('GoneException', 'client', {}) +
      generated('BusyException', 'server', {
        declared: ['    $retryable = { throttling: true };', '    Message;', '    Type;'],
        extra: ['        this.Message = opts.Message;', '        this.Type = opts.Type;'],
      });
    const { code, rewritten } = compactErrorClasses(source, '/aliases/sdk-error-classes.ts');
    assert.equal(rewritten, 2);
    assert.equal(
      code,
      [
        'import { XServiceException as __BaseException } from "./XServiceException";',
        'import { sdkErrorClasses } from "/aliases/sdk-error-classes.ts";',
        'const __errorClass = sdkErrorClasses(__BaseException, "com.amazonaws.x");',
        'export const GoneException = __errorClass("GoneException", "client");',
        'export const BusyException = __errorClass("BusyException", "server", ["Message","Type"], () => ({ throttling: true }));',
        '',
      ].join('\n'),
    );
  });

  it('leaves a module alone when anything in it is not as the SDK generates it', () => {
    const otherwise = [
      `${header}${generated('GoneException', 'client', {})}export const extra = 1;\n`,
      header +
        generated('GoneException', 'client', { extra: ['        this.Message = opts.Message;'] }),
      header +
        generated('GoneException', 'client', {}).replace('name = "GoneException"', 'name = "Gone"'),
      generated('GoneException', 'client', {}),
    ];
    for (const source of otherwise) {
      assert.deepEqual(compactErrorClasses(source, '/aliases/x.ts'), {
        code: source,
        rewritten: 0,
      });
    }
  });

  it("rewrites every class of every SDK client's errors module (else the SDK changed shape)", () => {
    assert.ok(SDK_CLIENTS.length > 0);
    for (const client of SDK_CLIENTS) {
      const source = readFileSync(errorsModule(client), 'utf8');
      const classes = source.match(/^export class /gm)?.length ?? 0;
      assert.ok(classes > 0, `${client}: no error classes`);
      assert.equal(compactErrorClasses(source, '/aliases/x.ts').rewritten, classes, client);
    }
  });

  it('makes the same classes, and the same errors, as the SDK', async () => {
    const entry = path.join(tmpdir(), 'eks-pia-error-classes.mjs');
    writeFileSync(
      entry,
      SDK_CLIENTS.map(
        (client, index) => `export * as c${index} from ${JSON.stringify(errorsModule(client))};`,
      ).join('\n'),
    );
    const result = await buildTaskBundles({ probe: entry }, path.join(tmpdir(), 'eks-pia-errors'), {
      write: false,
      logLevel: 'error',
    });
    const probe = path.join(tmpdir(), 'eks-pia-error-classes-probe.mjs');
    writeFileSync(
      probe,
      result.outputFiles?.find((file) => file.path.endsWith('.mjs'))?.text ?? '',
    );
    const bundled: Record<string, Record<string, new (options: object) => Error>> = await import(
      probe
    );
    // Own properties in order, with their attributes; the stack differs, as does each prototype.
    const descriptors = (value: object) =>
      Reflect.ownKeys(value)
        .filter((key) => key !== 'stack')
        .map((key) => {
          const { value: held, ...attributes } = Object.getOwnPropertyDescriptor(value, key) ?? {};
          return [key, key === 'prototype' ? attributes : { held, ...attributes }];
        });
    let compared = 0;
    for (const [index, client] of SDK_CLIENTS.entries()) {
      const source = readFileSync(errorsModule(client), 'utf8');
      const fields = [...new Set([...source.matchAll(/this\.(\w+) = opts/g)].map((m) => m[1]))];
      const sdk: Record<string, unknown> = await import(`@aws-sdk/${client}`);
      for (const [name, Bundled] of Object.entries(bundled[`c${index}`] ?? {})) {
        const Sdk = sdk[name] as typeof Bundled;
        // A name and fault in the options, which each class overrides with its own.
        const options = {
          name: 'SomethingElse',
          $fault: 'neither',
          message: 'refused',
          $metadata: { httpStatusCode: 400 },
          ...Object.fromEntries(fields.map((field) => [field, `${field} value`])),
        };
        const [made, expected] = [new Bundled(options), new Sdk(options)];
        assert.deepEqual(descriptors(made), descriptors(expected), `${client} ${name}`);
        assert.deepEqual(descriptors(Bundled), descriptors(Sdk), `${client} ${name} class`);
        assert.equal(Object.getPrototypeOf(made), Bundled.prototype);
        assert.ok(made instanceof Bundled && made instanceof Error);
        const base = (Class: object) =>
          (Object.getPrototypeOf(Class) as { shapeId: string }).shapeId;
        assert.equal(base(Bundled), base(Sdk), `${client} ${name} base`);
        compared += 1;
      }
    }
    assert.ok(compared > 100, `compared ${compared} error classes`);
  });
});

describe('SDK client package.json in bundles', () => {
  it('keeps the version and nothing else', () => {
    const module = packageVersionModule(
      JSON.stringify({ name: '@aws-sdk/client-x', version: '3.1.0', scripts: { build: 'tsc' } }),
    );
    assert.equal(module, 'export default { version: "3.1.0" };');
    assert.throws(() => packageVersionModule('{"name":"x"}'), /without a version/);
  });

  it('is read for its version alone by every SDK client (else the SDK changed and needs more)', () => {
    assert.ok(SDK_CLIENTS.length > 0);
    for (const client of SDK_CLIENTS) {
      const dir = path.join(SDK_DIR, client, 'dist-es');
      const uses = readdirSync(dir)
        .filter((file) => file.endsWith('.js'))
        .flatMap((file) => [
          ...readFileSync(path.join(dir, file), 'utf8').matchAll(
            /\bpackageInfo\b(?!\s+from)(\.\w+)?/g,
          ),
        ]);
      assert.ok(uses.length > 0, `${client}: reads no packageInfo`);
      for (const use of uses) {
        assert.equal(use[1], '.version', `${client}: reads packageInfo${use[1] ?? ''}`);
      }
    }
  });
});

describe("the SDK's JavaScript hash fallbacks in bundles", () => {
  const sdkFiles = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((file) => path.join(dir, file));
  const files = [
    ...sdkFiles(path.join(PROJECT_ROOT, 'node_modules', '@smithy', 'core', 'dist-es')),
    ...sdkFiles(path.join(SDK_DIR, 'checksums', 'dist-es')),
  ];

  it('are used only where node:crypto lacks the hash (else the SDK changed and needs them)', () => {
    for (const { file, exported } of JS_HASH_FALLBACKS) {
      const module = files.find((candidate) => file.test(candidate));
      assert.ok(module, `no SDK module matches ${file}`);
      const users = files.filter(
        (candidate) =>
          candidate.endsWith('.js') &&
          !/index(\.browser|\.native)?\.js$|WebCrypto\.js$/.test(candidate) &&
          candidate !== module &&
          readFileSync(candidate, 'utf8').includes(exported),
      );
      assert.equal(users.length, 1, `${exported} is used by ${users.join(', ')}`);
      assert.match(
        readFileSync(users[0] ?? '', 'utf8'),
        new RegExp(`= hasNativeCrypto \\? buildNativeClass\\(\\) : ${exported};`),
      );
    }
  });

  it('refuse to be built, naming the hash and the way back', async () => {
    const entry = path.join(tmpdir(), 'eks-pia-hash-fallback.mjs');
    writeFileSync(
      entry,
      "import { Sha256Js, Md5Js } from '@smithy/core/checksum';\nexport { Sha256Js, Md5Js };\n",
    );
    const result = await buildTaskBundles({ probe: entry }, path.join(tmpdir(), 'eks-pia-hash'), {
      write: false,
      logLevel: 'error',
    });
    const bundle = result.outputFiles?.find((file) => file.path.endsWith('.mjs'))?.text ?? '';
    const probe = path.join(tmpdir(), 'eks-pia-hash-probe.mjs');
    writeFileSync(probe, bundle);
    const { Sha256Js } = await import(probe);
    assert.throws(() => new Sha256Js(), {
      name: 'JsHashFallbackNotBundledError',
      message: /cannot make SHA-256 here.*remove jsHashFallbackPlugin/,
    });
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
    // What keeps a task near the budget is measured in bench/bundles.ts: the SDK clients alone are
    // 210–250 KiB of it, yaml 95 and zod (its mini build, functions/core/zod.ts) about 30.
    const problems = [...kib]
      .sort(([, a], [, b]) => b - a)
      .flatMap(([task, size]) =>
        size > BUNDLE_BUDGET_KIB
          ? [`${task}: ${size.toFixed(1)} KiB, over the ${BUNDLE_BUDGET_KIB} KiB budget`]
          : [],
      );
    assert.deepEqual(
      problems,
      [],
      `bundle sizes (see bench/bundles.ts for the SDK's share):\n  ${problems.join('\n  ')}`,
    );
  });
});
