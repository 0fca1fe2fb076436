/**
 * How every Lambda task is bundled: one definition of the esbuild options and plugins, used by
 * TaskFunction (through infra/build-task-bundle.ts, since CDK's bundling hook is synchronous and
 * esbuild runs plugins only from its asynchronous API), by the bundle-size and AWS-calls tests and
 * by bench/bundles.ts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type BuildOptions, type BuildResult, build, type Metafile, type Plugin } from 'esbuild';
import { SdkPackageShapeError } from './errors.ts';
import { BUNDLE_ALIASES_DIR, PROJECT_ROOT } from './paths.ts';

/** The most a task's bundle (its `index.mjs`, without the source map) may weigh. */
export const BUNDLE_BUDGET_KIB = 400;

/** esbuild's target for the Lambda runtime TaskFunction deploys (nodejs22.x). */
export const ESBUILD_TARGET = 'node22';

/**
 * Packages replaced in every bundle by a smaller module of the same interface (see each file in
 * infra/bundle-aliases/ for why it is safe in Lambda).
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': path.join(BUNDLE_ALIASES_DIR, 'lambda-credentials.ts'),
  '@smithy/core/event-streams': path.join(BUNDLE_ALIASES_DIR, 'no-event-streams.ts'),
};

/** Bundled CommonJS dependencies call require(), which an ES module lacks. */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** The generated schema module of each AWS SDK client (one per client in SDK 3.1169). */
const SDK_SCHEMAS_FILE =
  /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * Rewrites the computed keys of an SDK client's schema module into literal keys. The generated
 * schemas spell trait objects as `{ [_e]: _c, [_hE]: 400 }`, with `_e` a module constant such as
 * `const _e = "error";`. esbuild treats a computed key as a possible side effect, so it keeps every
 * schema in the file and all it references, used or not (the whole service model: S3's alone is
 * about 60 KiB minified). With the constant's value written in place (`{ "error": _c, ... }`) the
 * object is the same and unused schemas are dropped. Keys naming anything but a string constant of
 * the same module are left as they are.
 */
export function literalSchemaKeys(source: string): { code: string; rewritten: number } {
  const constants = new Map<string, string>();
  for (const match of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
    constants.set(match[1] as string, match[2] as string);
  }
  let rewritten = 0;
  const code = source.replace(/([{,]\s*)\[(_\w+)\]:/g, (whole, before: string, name: string) => {
    const literal = constants.get(name);
    if (literal === undefined) return whole;
    rewritten += 1;
    return `${before}${literal}:`;
  });
  return { code, rewritten };
}

/** The esbuild plugin applying {@link literalSchemaKeys} to every SDK client's schema module. */
export const sdkSchemaKeysPlugin: Plugin = {
  name: 'sdk-schema-literal-keys',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: SDK_SCHEMAS_FILE }, async (args) => {
      const { code } = literalSchemaKeys(await readFile(args.path, 'utf8'));
      return { contents: code, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/** The package.json of an AWS SDK client, which its runtime config imports for its version. */
const SDK_CLIENT_PACKAGE_JSON = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/;

/**
 * The module an SDK client's `import packageInfo from "../package.json"` gets in a bundle: only
 * the version, the one field the client reads (for its User-Agent). Bundled as it is, each
 * client's package.json (description, scripts, dependency lists) adds about 2 KiB to a bundle.
 */
export function packageVersionModule(packageJson: string): string {
  const { version } = JSON.parse(packageJson) as { version?: unknown };
  if (typeof version !== 'string') {
    throw new SdkPackageShapeError(
      'an SDK client package.json without a version: the SDK changed shape',
    );
  }
  return `export default { version: ${JSON.stringify(version)} };`;
}

/** The esbuild plugin applying {@link packageVersionModule} to every SDK client's package.json. */
export const sdkPackageVersionPlugin: Plugin = {
  name: 'sdk-package-version',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: SDK_CLIENT_PACKAGE_JSON }, async (args) => ({
      contents: packageVersionModule(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

/** The error classes module of each AWS SDK client. */
const SDK_ERRORS_FILE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]models[\\/]errors\.js$/;

const SDK_ERRORS_IMPORT = /^import \{ \w+ as __BaseException \} from "\.\/\w+";\n/;

/** One error class, exactly as the SDK's code generator writes it. */
const SDK_ERROR_CLASS = new RegExp(
  [
    String.raw`export class (?<className>\w+) extends __BaseException \{\n`,
    String.raw`    static shapeId = "(?<namespace>[\w.]+)#(?<shapeName>\w+)";\n`,
    String.raw`    name = "(?<name>\w+)";\n`,
    String.raw`    \$fault = "(?<fault>client|server)";\n`,
    String.raw`(?:    \$retryable = (?<retryable>\{[^\n]*\});\n)?`,
    String.raw`(?<declared>(?:    \w+;\n)*)`,
    String.raw`    constructor\(opts\) \{\n`,
    String.raw`        super\(\{\n`,
    String.raw`            name: "(?<superName>\w+)",\n`,
    String.raw`            \$fault: "(?<superFault>client|server)",\n`,
    String.raw`            \.\.\.opts,\n`,
    String.raw`        \}\);\n`,
    String.raw`        Object\.setPrototypeOf\(this, (?<prototypeOf>\w+)\.prototype\);\n`,
    String.raw`(?<assigned>(?:        this\.\w+ = opts\.\w+;\n)*)`,
    String.raw`    \}\n`,
    String.raw`\}\n`,
  ].join(''),
  'g',
);

/**
 * Rewrites an SDK client's error classes module into calls of the factory in `factoryModule`
 * (infra/bundle-aliases/sdk-error-classes.ts, which says why), one per class, with what sets the
 * class apart. The module is left as it is (`rewritten: 0`) unless it is wholly the import of its
 * service exception and classes of the one shape the SDK generates, each spelling its own name
 * throughout, all in one namespace, and assigning from `opts` exactly the fields it declares.
 */
export function compactErrorClasses(
  source: string,
  factoryModule: string,
): { code: string; rewritten: number } {
  const unchanged = { code: source, rewritten: 0 };
  const header = SDK_ERRORS_IMPORT.exec(source)?.[0];
  if (header === undefined) return unchanged;
  const body = source.slice(header.length);
  const namespaces = new Set<string>();
  const calls: string[] = [];
  for (const { groups = {} } of body.matchAll(SDK_ERROR_CLASS)) {
    const { className = '', namespace = '', fault = '', retryable } = groups;
    const fields = [...(groups.declared ?? '').matchAll(/(\w+);/g)].map(([, field]) => field);
    const assigned = [...(groups.assigned ?? '').matchAll(/this\.(\w+) = opts\.(\w+);/g)];
    const consistent =
      [groups.shapeName, groups.name, groups.superName, groups.prototypeOf].every(
        (spelled) => spelled === className,
      ) &&
      groups.superFault === fault &&
      assigned.length === fields.length &&
      assigned.every(([, to, from], index) => to === fields[index] && from === to);
    if (!consistent) return unchanged;
    namespaces.add(namespace);
    const args = [JSON.stringify(className), JSON.stringify(fault)];
    if (fields.length > 0 || retryable) args.push(JSON.stringify(fields));
    if (retryable) args.push(`() => (${retryable})`);
    calls.push(`export const ${className} = __errorClass(${args.join(', ')});`);
  }
  const [namespace] = namespaces;
  if (namespace === undefined || namespaces.size > 1) return unchanged;
  if (body.replace(SDK_ERROR_CLASS, '').trim() !== '') return unchanged;
  const code = [
    header.trimEnd(),
    `import { sdkErrorClasses } from ${JSON.stringify(factoryModule)};`,
    `const __errorClass = sdkErrorClasses(__BaseException, ${JSON.stringify(namespace)});`,
    ...calls,
    '',
  ].join('\n');
  return { code, rewritten: calls.length };
}

/** The esbuild plugin applying {@link compactErrorClasses} to every SDK client's errors module. */
export const sdkErrorClassesPlugin: Plugin = {
  name: 'sdk-error-classes',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: SDK_ERRORS_FILE }, async (args) => {
      const { code } = compactErrorClasses(
        await readFile(args.path, 'utf8'),
        path.join(BUNDLE_ALIASES_DIR, 'sdk-error-classes.ts'),
      );
      return { contents: code, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * The SDK's pure-JavaScript hashes that its `node:crypto` classes fall back to, by module, with
 * the class each exports and the hash it makes.
 */
export const JS_HASH_FALLBACKS: readonly { file: RegExp; exported: string; hash: string }[] = [
  {
    file: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]checksum[\\/]sha256[\\/]Sha256Js\.js$/,
    exported: 'Sha256Js',
    hash: 'SHA-256',
  },
  {
    file: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]checksum[\\/]md5[\\/]Md5Js\.js$/,
    exported: 'Md5Js',
    hash: 'MD5',
  },
  {
    file: /[\\/]@aws-sdk[\\/]checksums[\\/]dist-es[\\/]submodules[\\/]sha[\\/]sha1[\\/]Sha1Js\.js$/,
    exported: 'Sha1Js',
    hash: 'SHA-1',
  },
];

/**
 * Replaces each of {@link JS_HASH_FALLBACKS} by a class of the same name that refuses to be built
 * (infra/bundle-aliases/no-js-hash-fallbacks.ts says why that is safe in Lambda).
 */
export const jsHashFallbackPlugin: Plugin = {
  name: 'no-js-hash-fallbacks',
  setup(pluginBuild) {
    for (const { file, exported, hash } of JS_HASH_FALLBACKS) {
      pluginBuild.onLoad({ filter: file }, () => ({
        contents: [
          `import { jsHashFallbackNotBundled } from ${JSON.stringify(path.join(BUNDLE_ALIASES_DIR, 'no-js-hash-fallbacks.ts'))};`,
          `export class ${exported} { constructor() { jsHashFallbackNotBundled(${JSON.stringify(hash)}); } }`,
        ].join('\n'),
        loader: 'js',
      }));
    }
  },
};

const YAML_ESM_DIR = path.join(PROJECT_ROOT, 'node_modules', 'yaml', 'browser', 'dist');

/**
 * Bundles `yaml` from its ES module build, declared free of side effects, instead of its CommonJS
 * build (the one the `node` export condition picks). esbuild cannot drop anything from CommonJS, so
 * every task reaching a module that imports `yaml` carried all of it (112 KiB), parser or not. The
 * ES module build is the same code (`yaml/browser/dist`, compiled from the same sources); its only
 * difference is that a warning the library prints goes to `console.warn` rather than
 * `process.emitWarning`, both of which end on stderr. Its top-level statements only set properties
 * of its own classes (`Scalar.PLAIN = ...`, `visit.BREAK = ...`), so a module of it whose exports
 * no task uses can go; `sideEffects: false` tells esbuild so, as the package does not.
 */
export const yamlEsmPlugin: Plugin = {
  name: 'yaml-esm',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^yaml$/ }, () => ({
      path: path.join(YAML_ESM_DIR, 'index.js'),
      sideEffects: false,
    }));
    pluginBuild.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.importer.startsWith(YAML_ESM_DIR + path.sep)) return undefined;
      return { path: path.resolve(path.dirname(args.importer), args.path), sideEffects: false };
    });
  },
};

/**
 * esbuild options for the bundles of `entryPoints` (output name → handler module), written to
 * `outdir` as `<name>.mjs` with a source map without sources: ESM for node22, minified, the SDK
 * bundled from its ES module entry points (the clients are the exact pinned versions the tests
 * ran, and ESM bundles load faster at cold start than the runtime's SDK: tooling.md section 6),
 * the aliases and the plugins above.
 */
export function taskBuildOptions(
  entryPoints: Readonly<Record<string, string>>,
  outdir: string,
): BuildOptions {
  return {
    entryPoints: { ...entryPoints },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    minify: true,
    sourcemap: true,
    // Stack traces need the mappings only; the sources would double the asset.
    sourcesContent: false,
    mainFields: ['module', 'main'],
    alias: { ...BUNDLE_ALIASES },
    banner: { js: CREATE_REQUIRE_BANNER },
    plugins: [
      sdkSchemaKeysPlugin,
      sdkErrorClassesPlugin,
      sdkPackageVersionPlugin,
      jsHashFallbackPlugin,
      yamlEsmPlugin,
    ],
    absWorkingDir: PROJECT_ROOT,
    nodePaths: [path.join(PROJECT_ROOT, 'node_modules')],
    logLevel: 'warning',
  };
}

/** Builds the bundles of `entryPoints` into `outdir` (see {@link taskBuildOptions}). */
export function buildTaskBundles(
  entryPoints: Readonly<Record<string, string>>,
  outdir: string,
  extra: Pick<BuildOptions, 'metafile' | 'logLevel' | 'write'> = {},
): Promise<BuildResult> {
  return build({ ...taskBuildOptions(entryPoints, outdir), ...extra });
}

/** What of the AWS SDK one bundle holds. */
export interface BundledSdk {
  /** The client classes it builds, by package: `@aws-sdk/client-iam` → `IAMClient`. */
  readonly clients: ReadonlyMap<string, string>;
  /** The commands its code sends, as package and operation (`@aws-sdk/client-iam`, `GetRole`). */
  readonly commands: readonly { readonly package: string; readonly operation: string }[];
}

const SDK_CLIENT_MODULE = /node_modules\/(@aws-sdk\/client-[^/]+)\/dist-es\/(\w+Client)\.js$/;
const SDK_COMMAND_MODULE =
  /node_modules\/(@aws-sdk\/client-[^/]+)\/dist-es\/commands\/(\w+)Command\.js$/;

/**
 * The SDK clients and commands in each bundle of a build made with `metafile: true`, by bundle
 * name. Only modules esbuild kept count, so a command whose only sender no handler reaches does
 * not. The commands a client module imports itself are its own machinery (S3Client's
 * CreateSession, for S3 Express buckets), not calls of the task's code.
 */
export function bundledSdk(metafile: Metafile): Map<string, BundledSdk> {
  const bundles = new Map<string, BundledSdk>();
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!file.endsWith('.mjs')) continue;
    const kept = Object.keys(output.inputs).filter(
      (input) => (output.inputs[input]?.bytesInOutput ?? 0) > 0,
    );
    const clients = new Map<string, string>();
    const clientImports = new Set<string>();
    for (const input of kept) {
      const [, sdkPackage, client] = SDK_CLIENT_MODULE.exec(input) ?? [];
      if (sdkPackage === undefined || client === undefined) continue;
      clients.set(sdkPackage, client);
      for (const imported of metafile.inputs[input]?.imports ?? [])
        clientImports.add(imported.path);
    }
    const commands = kept.flatMap((input) => {
      const [, sdkPackage, operation] = SDK_COMMAND_MODULE.exec(input) ?? [];
      return sdkPackage === undefined || operation === undefined || clientImports.has(input)
        ? []
        : [{ package: sdkPackage, operation }];
    });
    bundles.set(path.basename(file, '.mjs'), { clients, commands });
  }
  return bundles;
}
