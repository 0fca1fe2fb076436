import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { Simulator } from '../../../local/simulator/server.ts';
import { s3Service, versionIdFor } from '../../../local/simulator/services/s3.ts';
import { loadWorldFile, parseWorld, type WorldInput } from '../../../local/simulator/world.ts';

const account = '111122223333';
const config = 'apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: demo\n';

const objects: Record<string, string> = {
  'apply/demo.yaml': config,
  'apply/prod.yaml': 'metadata:\n  name: prod\n',
  'apply/team a/config with spaces.yaml': 'spaces: true\n',
  'apply/équipe/配置.yaml': 'unicode: "ü — 配置"\n',
  'apply/nested/deep/one.yaml': 'one: 1\n',
  'apply/nested/two.yaml': 'two: 2\n',
  'defaults.yaml': 'defaults: {}\n',
  'odd & <chars>.yaml': 'xml: "needs escaping"\n',
};

function world(overrides: Partial<WorldInput> = {}): WorldInput {
  return {
    account,
    region: 'us-west-2',
    caller: `arn:aws:iam::${account}:role/automation`,
    buckets: [{ name: 'configs', objects }, { name: 'empty' }],
    ...overrides,
  };
}

function client(sim: Simulator, options: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint: sim.url,
    region: 'us-west-2',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
    retryStrategy: new ConfiguredRetryStrategy(4, (attempt) => 5 * attempt),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    ...options,
  });
}

/** Records the headers of each request as it leaves the client (after checksums and signing). */
function recordRequestHeaders(s3: S3Client): Record<string, string>[] {
  const seen: Record<string, string>[] = [];
  s3.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      seen.push({ ...request.headers });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'recordRequestHeaders' },
  );
  return seen;
}

async function rejectsWith(call: Promise<unknown>, name: string, status: number) {
  await assert.rejects(call, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name);
    assert.equal(error.$metadata?.httpStatusCode, status);
    return true;
  });
}

describe('simulated S3 through @aws-sdk/client-s3 (path-style)', () => {
  let sim: Simulator;
  let s3: S3Client;
  before(async () => {
    sim = await new Simulator(parseWorld(JSON.stringify(world())), [s3Service]).start();
    s3 = client(sim);
  });
  after(async () => {
    s3.destroy();
    await sim.close();
  });

  it('gets a world object with its length, ETag, type and modification time', async () => {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: 'configs', Key: 'apply/demo.yaml' }),
    );
    assert.equal(await object.Body?.transformToString(), config);
    assert.equal(object.ContentLength, Buffer.byteLength(config));
    assert.equal(object.ETag, `"${createHash('md5').update(config).digest('hex')}"`);
    assert.equal(object.ContentType, 'binary/octet-stream');
    assert.ok(object.LastModified instanceof Date);
  });

  it('round-trips keys with spaces, unicode and XML special characters', async () => {
    for (const key of [
      'apply/team a/config with spaces.yaml',
      'apply/équipe/配置.yaml',
      'odd & <chars>.yaml',
    ]) {
      const object = await s3.send(new GetObjectCommand({ Bucket: 'configs', Key: key }));
      assert.equal(await object.Body?.transformToString(), objects[key]);
    }
  });

  it('puts a plain body and returns it with the type it was stored with', async () => {
    const text = 'metadata:\n  name: new\n';
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'configs',
        Key: 'apply/new.yaml',
        Body: text,
        ContentType: 'application/yaml',
      }),
    );
    assert.equal(put.ETag, `"${createHash('md5').update(text).digest('hex')}"`);
    const object = await s3.send(
      new GetObjectCommand({ Bucket: 'configs', Key: 'apply/new.yaml' }),
    );
    assert.equal(await object.Body?.transformToString(), text);
    assert.equal(object.ContentType, 'application/yaml');
    assert.equal(object.ETag, put.ETag);
    assert.equal(sim.state.world.buckets[0]?.objects['apply/new.yaml'], text);
  });

  it('answers HEAD with the object length and no body, and 404 NotFound for a missing key', async () => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'configs', Key: 'defaults.yaml' }));
    assert.equal(head.ContentLength, Buffer.byteLength(objects['defaults.yaml'] ?? ''));
    assert.ok(head.ETag);
    await rejectsWith(
      s3.send(new HeadObjectCommand({ Bucket: 'configs', Key: 'missing.yaml' })),
      'NotFound',
      404,
    );
  });

  it('answers NoSuchKey and NoSuchBucket (404) on GetObject', async () => {
    await rejectsWith(
      s3.send(new GetObjectCommand({ Bucket: 'configs', Key: 'missing.yaml' })),
      'NoSuchKey',
      404,
    );
    await rejectsWith(
      s3.send(new GetObjectCommand({ Bucket: 'nope', Key: 'a.yaml' })),
      'NoSuchBucket',
      404,
    );
    await rejectsWith(s3.send(new ListObjectsV2Command({ Bucket: 'nope' })), 'NoSuchBucket', 404);
  });

  it('pages ListObjectsV2 across three or more pages whose union is every key under the prefix', async () => {
    const pages = [];
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 2 },
      { Bucket: 'configs', Prefix: 'apply/' },
    )) {
      pages.push(page);
    }
    assert.ok(pages.length >= 3, `got ${pages.length} pages`);
    for (const page of pages) assert.equal(page.KeyCount, page.Contents?.length ?? 0);
    const keys = pages.flatMap((page) => page.Contents ?? []).map((object) => object.Key);
    assert.equal(new Set(keys).size, keys.length, 'no key listed twice');
    assert.deepEqual(
      [...keys].sort(),
      Object.keys(sim.state.world.buckets[0]?.objects ?? {})
        .filter((key) => key.startsWith('apply/'))
        .sort(),
    );
    const listed = pages
      .flatMap((page) => page.Contents ?? [])
      .find((object) => object.Key === 'apply/demo.yaml');
    assert.equal(listed?.Size, Buffer.byteLength(config));
    assert.equal(listed?.ETag, `"${createHash('md5').update(config).digest('hex')}"`);
  });

  it('rolls keys up into common prefixes with a delimiter, paging over prefixes and keys alike', async () => {
    const pages = [];
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 1 },
      { Bucket: 'configs', Prefix: 'apply/', Delimiter: '/' },
    )) {
      pages.push(page);
    }
    assert.ok(pages.length >= 3);
    for (const page of pages) assert.equal(page.KeyCount, 1);
    assert.deepEqual(
      pages.flatMap((page) => page.CommonPrefixes ?? []).map((prefix) => prefix.Prefix),
      ['apply/nested/', 'apply/team a/', 'apply/équipe/'],
    );
    assert.deepEqual(
      pages.flatMap((page) => page.Contents ?? []).map((object) => object.Key),
      ['apply/demo.yaml', 'apply/new.yaml', 'apply/prod.yaml'],
    );
  });

  it('reports KeyCount, MaxKeys and IsTruncated on a single page', async () => {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: 'configs', Prefix: 'apply/nested/', MaxKeys: 1 }),
    );
    assert.equal(page.KeyCount, 1);
    assert.equal(page.MaxKeys, 1);
    assert.equal(page.IsTruncated, true);
    assert.ok(page.NextContinuationToken);
    const empty = await s3.send(new ListObjectsV2Command({ Bucket: 'empty' }));
    assert.equal(empty.KeyCount, 0);
    assert.equal(empty.IsTruncated, false);
    assert.equal(empty.Contents, undefined);
  });

  it('logs PutObject as mutating and reads as not', () => {
    const byOperation = new Map(sim.calls.map((call) => [call.operation, call.mutating]));
    assert.deepEqual(Object.fromEntries(byOperation), {
      GetObject: false,
      PutObject: true,
      HeadObject: false,
      ListObjectsV2: false,
    });
  });
});

describe('simulated S3 with the SDK default checksum behaviour', () => {
  let sim: Simulator;
  let s3: S3Client;
  let sent: Record<string, string>[];
  before(async () => {
    sim = await new Simulator(parseWorld(JSON.stringify(world())), [s3Service]).start();
    s3 = client(sim, { requestChecksumCalculation: 'WHEN_SUPPORTED' });
    sent = recordRequestHeaders(s3);
  });
  after(async () => {
    s3.destroy();
    await sim.close();
  });

  it('decodes an aws-chunked stream body with a CRC32 trailer', async () => {
    const parts = ['metadata:\n', '  name: streamed\n', '  region: ü\n'];
    const text = parts.join('');
    await s3.send(
      new PutObjectCommand({
        Bucket: 'configs',
        Key: 'apply/streamed.yaml',
        Body: Readable.from(parts.map((part) => Buffer.from(part))),
        ContentLength: Buffer.byteLength(text),
      }),
    );
    const headers = sent.at(-1) ?? {};
    assert.match(
      headers['content-encoding'] ?? '',
      /aws-chunked/,
      'the SDK sent an aws-chunked body',
    );
    assert.equal(headers['x-amz-trailer'], 'x-amz-checksum-crc32');
    assert.equal(sim.state.world.buckets[0]?.objects['apply/streamed.yaml'], text);
    const object = await s3.send(
      new GetObjectCommand({ Bucket: 'configs', Key: 'apply/streamed.yaml' }),
    );
    assert.equal(await object.Body?.transformToString(), text);
  });

  it('checks the checksum header of a plain body and refuses a wrong one with BadDigest', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: 'configs', Key: 'apply/plain.yaml', Body: 'plain: true\n' }),
    );
    assert.ok(sent.at(-1)?.['x-amz-checksum-crc32'], 'the SDK sent a CRC32 header');
    assert.equal(sim.state.world.buckets[0]?.objects['apply/plain.yaml'], 'plain: true\n');

    await rejectsWith(
      s3.send(
        new PutObjectCommand({
          Bucket: 'configs',
          Key: 'apply/bad.yaml',
          Body: 'bad: true\n',
          ChecksumCRC32: 'AAAAAA==',
        }),
      ),
      'BadDigest',
      400,
    );
    assert.equal(sim.state.world.buckets[0]?.objects['apply/bad.yaml'], undefined);
  });
});

describe('simulated S3 object versions (the config bucket is versioned)', () => {
  let sim: Simulator;
  let s3: S3Client;
  before(async () => {
    sim = await new Simulator(parseWorld(JSON.stringify(world())), [s3Service]).start();
    s3 = client(sim);
  });
  after(async () => {
    s3.destroy();
    await sim.close();
  });

  const get = (Key: string, VersionId?: string) =>
    s3.send(new GetObjectCommand({ Bucket: 'configs', Key, VersionId }));

  it('keeps each PutObject as a version and reads every one back by its VersionId', async () => {
    const seeded = await get('apply/prod.yaml');
    assert.equal(seeded.VersionId, versionIdFor('configs', 'apply/prod.yaml'));
    const first = await s3.send(
      new PutObjectCommand({ Bucket: 'configs', Key: 'apply/prod.yaml', Body: 'first: 1\n' }),
    );
    const second = await s3.send(
      new PutObjectCommand({ Bucket: 'configs', Key: 'apply/prod.yaml', Body: 'second: 2\n' }),
    );
    assert.match(first.VersionId ?? '', /^[A-Za-z0-9._]{32}$/);
    assert.equal(new Set([seeded.VersionId, first.VersionId, second.VersionId]).size, 3);

    const latest = await get('apply/prod.yaml');
    assert.equal(await latest.Body?.transformToString(), 'second: 2\n');
    assert.equal(latest.VersionId, second.VersionId);
    for (const [version, body] of [
      [seeded.VersionId, objects['apply/prod.yaml']],
      [first.VersionId, 'first: 1\n'],
      [second.VersionId, 'second: 2\n'],
    ] as const) {
      const object = await get('apply/prod.yaml', version);
      assert.equal(await object.Body?.transformToString(), body);
      assert.equal(object.VersionId, version);
      assert.equal(
        object.ETag,
        `"${createHash('md5')
          .update(body ?? '')
          .digest('hex')}"`,
      );
    }
    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: 'configs',
        Key: 'apply/prod.yaml',
        VersionId: first.VersionId,
      }),
    );
    assert.equal(head.ContentLength, Buffer.byteLength('first: 1\n'));
    assert.equal(head.VersionId, first.VersionId);
  });

  it('answers 404 NoSuchVersion for a version the key never had, as S3 does', async () => {
    const other = versionIdFor('configs', 'apply/demo.yaml');
    await rejectsWith(get('defaults.yaml', other), 'NoSuchVersion', 404);
    // A well-formed id that no put issued (an event replayed from another bucket).
    await rejectsWith(
      get('apply/demo.yaml', 'Kq9pZ2r7Xw3vY8tB1nM4cL6dF0hJ5sGe'),
      'NoSuchVersion',
      404,
    );
    await rejectsWith(get('missing.yaml', other), 'NoSuchVersion', 404);
    await rejectsWith(get('apply/demo.yaml', 'null'), 'NoSuchVersion', 404);
    await assert.rejects(get('apply/demo.yaml', 'Kq9pZ2r7Xw3vY8tB1nM4cL6dF0hJ5sGe'), {
      message: 'The specified version does not exist.',
    });
    await rejectsWith(
      s3.send(new HeadObjectCommand({ Bucket: 'configs', Key: 'defaults.yaml', VersionId: other })),
      'NotFound',
      404,
    );
  });

  it('answers 400 InvalidArgument for a version id S3 could not have issued', async () => {
    for (const version of ['v1', '3', 'not a version id']) {
      await rejectsWith(get('apply/demo.yaml', version), 'InvalidArgument', 400);
      await assert.rejects(get('apply/demo.yaml', version), {
        message: 'Invalid version id specified',
      });
    }
  });
});

describe('the S3 event samples in events/eventbridge', () => {
  const root = join(import.meta.dirname, '..', '..', '..');
  for (const sample of [
    's3-object-created-apply.json',
    's3-object-created-apply-encoded-key.json',
  ]) {
    it(`${sample} names a version the samples world holds`, async () => {
      const event = JSON.parse(
        readFileSync(join(root, 'events', 'eventbridge', sample), 'utf8'),
      ) as { detail: { bucket: { name: string }; object: { key: string; 'version-id': string } } };
      const sim = await new Simulator(
        loadWorldFile(join(root, 'events', 'worlds', 'samples.yaml')),
        [s3Service],
      ).start();
      const s3 = client(sim);
      try {
        const key = decodeURIComponent(event.detail.object.key.replace(/\+/g, ' '));
        const object = await s3.send(
          new GetObjectCommand({
            Bucket: event.detail.bucket.name,
            Key: key,
            VersionId: event.detail.object['version-id'],
          }),
        );
        assert.equal(object.VersionId, event.detail.object['version-id']);
        assert.match((await object.Body?.transformToString()) ?? '', /podIdentityAssociations/);
      } finally {
        s3.destroy();
        await sim.close();
      }
    });
  }
});

describe('simulated S3 faults', () => {
  it('surfaces an injected fault as the named SDK exception, after the SDK retried it', async () => {
    const faulty = world({
      behaviour: {
        faults: [{ operation: 's3:GetObject', nth: 1, times: 10, error: 'InternalError' }],
      },
    });
    const sim = await new Simulator(parseWorld(JSON.stringify(faulty)), [s3Service]).start();
    const s3 = client(sim);
    try {
      await assert.rejects(
        s3.send(new GetObjectCommand({ Bucket: 'configs', Key: 'defaults.yaml' })),
        (error: Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }) => {
          assert.equal(error.name, 'InternalError');
          assert.equal(error.$metadata?.httpStatusCode, 500);
          assert.equal(error.$metadata?.attempts, 4);
          return true;
        },
      );
    } finally {
      s3.destroy();
      await sim.close();
    }
  });
});
