/**
 * `engines.node` must name a Node every installed dependency declares it runs on, so `npm ci` on
 * the oldest Node we claim prints no EBADENGINE warning we have not accounted for.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import semver from 'semver';

const ROOT = join(import.meta.dirname, '..', '..');

interface LockedPackage {
  version?: string;
  engines?: Record<string, string> | string[];
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockedPackage>;
};

/**
 * Dependencies that declare a newer Node than ours and still run on our minimum, each with what
 * makes it run there. Kept exact: an entry whose range our minimum now satisfies must go.
 */
const RUNS_BELOW_ITS_RANGE: Readonly<Record<string, string>> = {
  'aws-local-stepfunctions':
    'declares Node >= 22 for Promise.withResolvers, which local/runner/polyfill.ts supplies on Node 20',
};

/** `node_modules/a/node_modules/@s/b` → `@s/b`. */
function packageName(lockPath: string): string {
  return lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** Every locked package that names a Node range (others name none, or another runtime's). */
function nodeRanges(): { name: string; version: string; range: string }[] {
  return Object.entries(lock.packages).flatMap(([path, entry]) => {
    const engines = entry.engines;
    if (path === '' || !engines || Array.isArray(engines) || engines.node === undefined) return [];
    return [{ name: packageName(path), version: entry.version ?? '?', range: engines.node }];
  });
}

describe('engines.node', () => {
  const minimum = semver.minVersion(manifest.engines.node);

  it('is a range with a lowest version', () => {
    assert.ok(minimum, manifest.engines.node);
  });

  it('is met by every installed dependency, but for the listed exceptions', () => {
    const ranges = nodeRanges();
    assert.ok(ranges.length > 50, `only ${ranges.length} locked packages name a Node range`);
    const unmet = ranges.filter(
      ({ name, range }) =>
        !semver.satisfies(minimum ?? '0.0.0', range) && !Object.hasOwn(RUNS_BELOW_ITS_RANGE, name),
    );
    assert.deepEqual(
      unmet.map(({ name, version, range }) => `${name}@${version} wants node ${range}`),
      [],
      `raise engines.node (${manifest.engines.node}) or make these run on ${minimum}`,
    );
  });

  it('lists as exceptions only dependencies whose range it does not meet', () => {
    const ranges = nodeRanges();
    for (const name of Object.keys(RUNS_BELOW_ITS_RANGE)) {
      const locked = ranges.filter((entry) => entry.name === name);
      assert.ok(locked.length > 0, `${name} is not installed, or names no Node range`);
      for (const { version, range } of locked) {
        assert.ok(
          !semver.satisfies(minimum ?? '0.0.0', range),
          `${name}@${version} now accepts ${minimum}: drop it from the exceptions`,
        );
      }
    }
  });

  it('is met by the Node running these tests', () => {
    assert.ok(
      semver.satisfies(process.versions.node, manifest.engines.node),
      `Node ${process.versions.node} is outside engines.node ${manifest.engines.node}`,
    );
  });
});
