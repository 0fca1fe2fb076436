import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../../../functions/core/associations/request.ts';
import { parseFleetInput } from '../../../functions/core/fleet/fleet-input.ts';

const s3Event = (key: string, detailType = 'Object Created') => ({
  source: 'aws.s3',
  'detail-type': detailType,
  detail: { bucket: { name: 'configs' }, object: { key, 'version-id': 'v1' } },
});

describe('parseFleetInput', () => {
  it('reads a console input, its clusters replacing the fleet: block', () => {
    assert.deepEqual(
      parseFleetInput({
        config: { s3: { bucket: 'configs', key: 'configs/fleet.yaml' } },
        clusters: 'prod-*',
        dryRun: true,
        AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: 'arn:parent',
      }),
      {
        kind: 'fleet',
        config: { s3: { bucket: 'configs', key: 'configs/fleet.yaml' } },
        clusters: { namePattern: 'prod-*' },
        dryRun: true,
      },
    );
  });

  it('starts from a config file created under fleet/, and ends quietly for anything else', () => {
    assert.deepEqual(parseFleetInput(s3Event('fleet/prod+apps.yaml')), {
      kind: 'fleet',
      config: { s3: { bucket: 'configs', key: 'fleet/prod apps.yaml', versionId: 'v1' } },
      clusters: undefined,
      dryRun: false,
    });
    for (const event of [
      s3Event('apply/demo.yaml'),
      s3Event('fleet/'),
      s3Event('fleet/README.md'),
      s3Event('fleet/a.yaml', 'Object Deleted'),
    ]) {
      assert.equal(parseFleetInput(event).kind, 'ignored');
    }
  });

  it('refuses an input of another shape, or a clusters value that cannot be read, saying where', () => {
    for (const [input, path] of [
      [{ config: { inline: {} }, clusters: 'a-*,b-*' }, 'clusters'],
      [{ config: { inline: {} }, prune: true }, ''],
      [{ operation: 'apply' }, ''],
      ['fleet.yaml', ''],
    ] as const) {
      assert.throws(
        () => parseFleetInput(input),
        (error: unknown) =>
          error instanceof InvalidRequestError && error.issues.some((issue) => issue.path === path),
        JSON.stringify(input),
      );
    }
  });
});
