import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../../functions/aws/clients.ts';
import { ConfigObjectError, readConfigObject } from '../../../functions/aws/config-object.ts';
import { ACCOUNT, type Simulated, simulate, WORLD_HEADER } from './simulated.ts';

const BUCKET = `eks-pia-configs-${ACCOUNT}`;
const KEY = 'apply/demo.yaml';

describe('reading a config object', () => {
  let simulated: Simulated;
  let firstVersion: string;
  before(async () => {
    simulated = await simulate(`${WORLD_HEADER}buckets: [{name: ${BUCKET}, objects: {}}]\n`);
    const put = (body: string) =>
      s3Client().send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body }));
    firstVersion = (await put('first: 1\n')).VersionId ?? '';
    await put('second: 2\n');
  });
  after(() => simulated.stop());

  it('reads the version an event names, not the latest, and the latest without one', async () => {
    assert.equal(
      await readConfigObject({ bucket: BUCKET, key: KEY, versionId: firstVersion }),
      'first: 1\n',
    );
    assert.equal(await readConfigObject({ bucket: BUCKET, key: KEY }), 'second: 2\n');
  });

  it('names a missing key, a version the object never had and a version id S3 refuses', async () => {
    const refusal = async (location: Parameters<typeof readConfigObject>[0]) => {
      try {
        await readConfigObject(location);
      } catch (error) {
        assert.ok(error instanceof ConfigObjectError, String(error));
        return error.message;
      }
      assert.fail('read');
    };
    assert.equal(
      await refusal({ bucket: BUCKET, key: 'apply/missing.yaml' }),
      `s3://${BUCKET}/apply/missing.yaml does not exist; check the bucket and key`,
    );
    const unknownVersion = 'A'.repeat(32);
    assert.match(
      await refusal({ bucket: BUCKET, key: KEY, versionId: unknownVersion }),
      new RegExp(
        `^s3://${BUCKET}/apply/demo.yaml \\(version ${unknownVersion}\\) does not exist: the object has no such version`,
      ),
    );
    assert.match(
      await refusal({ bucket: BUCKET, key: KEY, versionId: 'v1' }),
      /\(version v1\) cannot be read: S3 refuses the version id \(Invalid version id specified\)/,
    );
  });
});
