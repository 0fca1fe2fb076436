/**
 * The config corpus: every file under invalid/ must fail with exactly the messages of its
 * `.expected.txt` (one line per problem, in order), and every file under events/configs/ must
 * parse. A file's name starts with the operation it is read for (`create-`, `delete-`, ...).
 * Fixtures that are malformed on purpose end in `.yaml.txt` / `.json.txt`, which keeps the
 * formatter (Biome reads YAML and JSON) from tripping over them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigValidationError,
  issueLine,
  OPERATIONS,
  type Operation,
  parseClusterConfig,
} from '../../../functions/core/config/index.ts';
import { NamedError } from '../../../functions/core/errors.ts';

const invalidDir = join(import.meta.dirname, 'invalid');
const validDir = join(import.meta.dirname, '../../../events/configs');

function operationOf(fileName: string): Operation {
  const prefix = fileName.split('-')[0];
  const operation = OPERATIONS.find((candidate) => candidate === prefix);
  assert.ok(operation, `${fileName} must start with one of ${OPERATIONS.join(', ')}`);
  return operation;
}

const CONFIG_FILE = /\.(ya?ml|json)(\.txt)?$/;

function configFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => CONFIG_FILE.test(name))
    .sort();
}

function rejection(text: string, operation: Operation, source: string): ConfigValidationError {
  try {
    parseClusterConfig(text, { operation, source });
  } catch (error) {
    assert.ok(error instanceof ConfigValidationError, `unexpected ${String(error)}`);
    return error;
  }
  assert.fail(`${source} was accepted`);
}

describe('invalid config corpus', () => {
  const files = configFiles(invalidDir);

  it('holds at least 45 configs, each with its expected messages', () => {
    assert.ok(files.length >= 45, `only ${files.length} invalid configs`);
    const expectations = readdirSync(invalidDir).filter((name) => name.endsWith('.expected.txt'));
    assert.equal(expectations.length, files.length);
  });

  for (const file of files) {
    it(`rejects ${file} with exactly its expected messages`, () => {
      const text = readFileSync(join(invalidDir, file), 'utf8');
      const expected = readFileSync(
        join(invalidDir, file.replace(CONFIG_FILE, '.expected.txt')),
        'utf8',
      )
        .trimEnd()
        .split('\n');

      const error = rejection(text, operationOf(file), file);

      assert.deepEqual(error.issues.map(issueLine), expected);
      assert.equal(
        error.message,
        [
          `ClusterConfig ${file} has ${expected.length} problem${expected.length === 1 ? '' : 's'}:`,
          ...expected,
        ].join('\n'),
      );
      assert.equal(error.name, 'ConfigValidationError');
      assert.ok(error instanceof NamedError);
      assert.equal(error.source, file);
    });
  }
});

describe('sample configs in events/configs', () => {
  const files = configFiles(validDir);

  it('cover every operation that reads a file', () => {
    const operations = new Set(files.map(operationOf));
    assert.deepEqual([...operations].sort(), [...OPERATIONS].sort());
  });

  for (const file of files) {
    it(`parses ${file} for ${operationOf(file)}`, () => {
      const config = parseClusterConfig(readFileSync(join(validDir, file), 'utf8'), {
        operation: operationOf(file),
        source: file,
      });
      assert.deepEqual([config.metadata.name, config.metadata.region], ['demo', 'us-west-2']);
    });
  }
});
