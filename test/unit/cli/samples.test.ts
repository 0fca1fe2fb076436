import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../local/cli/main.ts';

const EVENTS = join(import.meta.dirname, '..', '..', '..', 'events');
const SAMPLES_WORLD = join(EVENTS, 'worlds', 'samples.yaml');

/**
 * The order README's "Console inputs" gives: the update and delete samples change what the
 * create samples made, so each runs on the state the one before it left.
 */
const ASSOCIATION_SAMPLES = [
  'apply-inline',
  'apply-prune-dry-run',
  'apply-s3',
  'get-flags',
  'get-inline',
  'get-s3',
  'create-inline',
  'create-flags',
  'update-flags',
  'update-inline',
  'update-s3',
  'delete-s3',
  'create-s3',
  'delete-flags',
  'delete-inline',
];

async function run(workflow: string, input: string, world: string, stateOut?: string) {
  let out = '';
  let err = '';
  const code = await main(
    [
      'run',
      workflow,
      '--input',
      input,
      '--simulate',
      world,
      ...(stateOut ? ['--state-out', stateOut] : []),
      '-o',
      'json',
    ],
    { out: (text) => (out += text), err: (text) => (err += text) },
  );
  return { code, out, err };
}

describe('every sample in events/ runs as README documents it', () => {
  it('lists every association sample of events/inputs in the documented order', () => {
    const shipped = readdirSync(join(EVENTS, 'inputs'))
      .filter((name) => name.startsWith('associations-'))
      .map((name) => name.replace(/^associations-|\.json$/g, ''))
      .sort();
    assert.deepEqual([...ASSOCIATION_SAMPLES].sort(), shipped);
  });

  it('runs the association samples one after another on events/worlds/samples.yaml', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-pia-samples-'));
    let world = SAMPLES_WORLD;
    for (const [index, sample] of ASSOCIATION_SAMPLES.entries()) {
      const state = join(dir, `state-${index}.json`);
      const result = await run(
        'associations',
        join(EVENTS, 'inputs', `associations-${sample}.json`),
        world,
        state,
      );
      assert.equal(result.code, 0, `${sample}: ${result.err}\n${result.out}`);
      world = state;
    }
  });

  const standalone = [
    ...readdirSync(join(EVENTS, 'inputs'))
      .filter((name) => !name.startsWith('associations-'))
      .map((name) => join('inputs', name)),
    ...readdirSync(join(EVENTS, 'eventbridge')).map((name) => join('eventbridge', name)),
  ];
  for (const sample of standalone) {
    it(`runs ${sample} on events/worlds/samples.yaml`, async () => {
      const name = sample.split('/').at(-1) ?? '';
      const workflow = /^(migrate-)/.test(name)
        ? 'migrate-to-pod-identity'
        : /^(bootstrap-|cloudtrail-)/.test(name)
          ? 'bootstrap-cluster'
          : /^fleet-migration/.test(name)
            ? 'fleet-migration'
            : /^fleet-/.test(name)
              ? 'fleet-associations'
              : 'associations';
      const result = await run(workflow, join(EVENTS, sample), SAMPLES_WORLD);
      assert.equal(result.code, 0, `${sample}: ${result.err}\n${result.out}`);
      const report = JSON.parse(result.out) as { ignored?: boolean };
      assert.notEqual(report.ignored, true, `${sample} was ignored`);
    });
  }
});
