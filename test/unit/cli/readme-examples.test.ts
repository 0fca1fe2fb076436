/**
 * Every CLI example in README.md runs as written: each `sh` block, and each inline command that
 * starts `eks-pia`, `npm run --silent cli` or `npm start`, runs in bash against the simulator and
 * must exit 0 without printing an error (a loop's `|| break` would otherwise hide one). The usage
 * synopsis (the block without a language) is grammar, not an example. Examples that need a real
 * account, a deployed stack or a fresh install are in NOT_RUN, each with its reason.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scratch } from './run-cli.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SCRIPTS = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** Examples left out, by their text (whitespace collapsed), with the reason. */
const NOT_RUN: Readonly<Record<string, string>> = {
  'npm ci && npm start # runs the product on the bundled simulator: no AWS account, no network npm ci && npm test # passes all tests':
    'reinstalls node_modules and runs the whole suite, this test included; `npm start` runs below',
  'npm run --silent cli -- <args>': 'a pattern with a placeholder, not a command',
  'eks-pia --stack-name': 'a flag named in prose; it needs a deployed stack',
  'eks-pia --engine remote': 'needs a deployed stack and AWS credentials',
};

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

interface Example {
  text: string;
  line: number;
}

const CLI_COMMAND = /(^|\$\(|\s)(eks-pia |npm run --silent cli|npm start\b)/;

/**
 * The `sh` blocks that run the CLI and the inline CLI commands of a Markdown text, each once,
 * with the line where it first appears.
 */
function examples(markdown: string): Example[] {
  const found: Example[] = [];
  const lines = markdown.split('\n');
  let block: { language: string; line: number; body: string[] } | undefined;
  const prose: { line: number; text: string }[] = [];
  lines.forEach((text, index) => {
    const fence = /^```(\S*)/.exec(text);
    if (fence && block === undefined) {
      block = { language: fence[1] ?? '', line: index + 2, body: [] };
    } else if (fence && block !== undefined) {
      const body = block.body.join('\n');
      if (block.language === 'sh' && CLI_COMMAND.test(body))
        found.push({ text: body, line: block.line });
      block = undefined;
    } else if (block !== undefined) {
      block.body.push(text);
    } else {
      prose.push({ line: index + 1, text });
    }
  });
  // Inline code may wrap onto the next line, so spans are found in the prose as a whole.
  const text = prose.map((entry) => entry.text).join('\n');
  for (const match of text.matchAll(/`([^`]+)`/g)) {
    const span = match[1] ?? '';
    if (!/^(eval "\$\()?(eks-pia |npm run --silent cli|npm start$)/.test(span)) continue;
    if (found.some((example) => collapse(example.text) === collapse(span))) continue;
    const line = text.slice(0, match.index).split('\n').length;
    found.push({ text: span, line: prose[line - 1]?.line ?? 0 });
  }
  return found.sort((a, b) => a.line - b.line);
}

/**
 * A folder laid out like a checkout (npm runs scripts from the package's folder, so the README's
 * relative paths start there), with `eks-pia` on PATH as an install puts it, a home and a
 * temporary folder of its own.
 */
function checkoutLike(): { cwd: string; env: NodeJS.ProcessEnv } {
  const cwd = scratch();
  for (const entry of ['bin', 'events']) symlinkSync(join(ROOT, entry), join(cwd, entry));
  const shims = join(cwd, '.shims');
  mkdirSync(shims);
  writeFileSync(
    join(shims, 'eks-pia'),
    `#!/bin/sh\nexec node ${JSON.stringify(join(ROOT, 'bin', 'eks-pia.mjs'))} "$@"\n`,
    { mode: 0o755 },
  );
  const home = join(cwd, '.home');
  // Where fish keeps completions; fish makes the folder when it is installed.
  mkdirSync(join(home, '.config', 'fish', 'completions'), { recursive: true });
  const tmp = join(cwd, '.tmp');
  mkdirSync(tmp);
  return {
    cwd,
    env: {
      ...process.env,
      PATH: `${shims}:${process.env.PATH ?? ''}`,
      HOME: home,
      TMPDIR: tmp,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
  };
}

/**
 * `npm run --silent cli -- ARGS` and `npm start` run package.json's scripts as npm would (npm
 * itself adds seconds per call, and nothing else to check); any other npm command is refused.
 */
const NPM = `npm() {
  if [ "$1 $2 $3 $4" = "run --silent cli --" ]; then shift 4; ${SCRIPTS.cli} "$@"
  elif [ "$*" = start ]; then ${SCRIPTS.start}
  else echo "the README test runs only 'npm run --silent cli --' and 'npm start', not: npm $*" >&2; return 99
  fi
}
`;

/**
 * The pipe example ends in `| jq length`; where jq is not installed, this stand-in answers that
 * one filter from the JSON it reads, so the example still proves the output arrives whole.
 */
const JQ_STAND_IN =
  spawnSync('sh', ['-c', 'command -v jq']).status === 0
    ? ''
    : `jq() {
  if [ "$*" != length ]; then echo "the README test's jq stand-in knows only 'length', not: jq $*" >&2; return 99; fi
  node -e 'let t="";process.stdin.on("data",(c)=>(t+=c)).on("end",()=>{const v=JSON.parse(t);console.log(Array.isArray(v)||typeof v==="string"?v.length:Object.keys(v).length)})'
}
`;

describe('README examples', () => {
  const all = examples(README);

  it('finds the examples, and every one left out is still in the README', () => {
    assert.ok(all.length >= 10, `only ${all.length} examples found`);
    const texts = new Set(all.map((example) => collapse(example.text)));
    for (const text of Object.keys(NOT_RUN)) {
      assert.ok(texts.has(text), `NOT_RUN lists "${text}", which the README no longer has`);
    }
  });

  for (const example of all) {
    const reason = NOT_RUN[collapse(example.text)];
    const title = `README.md:${example.line}: ${collapse(example.text).slice(0, 100)}`;
    // Left out on purpose, with the reason in NOT_RUN; the first test keeps that list honest.
    if (reason !== undefined) continue;
    it(title, { timeout: 10 * 60_000 }, () => {
      const { cwd, env } = checkoutLike();
      const result = spawnSync(
        'bash',
        ['-o', 'pipefail', '-c', `${NPM}${JQ_STAND_IN}${example.text}`],
        {
          cwd,
          env,
          encoding: 'utf8',
        },
      );
      const output = `${result.stdout}\n${result.stderr}`;
      assert.equal(result.status, 0, output);
      assert.doesNotMatch(result.stderr, /^Error\b/m, output);
    });
  }
});
