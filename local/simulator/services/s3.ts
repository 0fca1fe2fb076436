/**
 * Simulated S3 (REST-XML, path-style `/bucket/key`): the objects of the world's buckets, which
 * hold text (eksctl configs). GetObject, HeadObject, PutObject and ListObjectsV2.
 *
 * Buckets are versioned, as the product's config bucket is: S3 events name the version that was
 * put and the workflows read exactly that version, so a version id that does not exist must fail
 * here as it does on S3 rather than quietly read whatever is current.
 *
 * PutObject accepts what the SDK sends with its default checksum settings: a plain body with an
 * `x-amz-checksum-*` header, or an `aws-chunked` body whose checksum comes in a trailer. Both are
 * decoded and checked, so a client that frames a body wrongly fails here as it would on S3.
 */

import { createHash } from 'node:crypto';
import { Crc32 } from '@smithy/core/checksum';
import { DESIRED_PREFIX } from '../../../functions/core/desired-state.ts';
import { RUNS_PREFIX } from '../../../functions/core/run-documents.ts';
import { escapeXml, SimError, type SimRequest, type SimResponse } from '../protocol.ts';
import type { ServiceContext, ServiceModule } from '../server.ts';
import type { SimulatorState } from '../state.ts';
import { compareKeys, decodeToken, encodeToken } from './query.ts';

/** World objects carry no timestamps; every one reads as last modified at this instant. */
const worldObjectTime = new Date('2024-01-01T00:00:00Z');
const defaultContentType = 'binary/octet-stream';

interface ObjectMetadata {
  versionId: string;
  contentType: string;
  lastModified: Date;
}

/** A version overwritten by a later PutObject; the current body stays in the world's `objects`. */
interface NoncurrentVersion extends ObjectMetadata {
  body: string;
}

interface KeyVersions {
  current: ObjectMetadata;
  noncurrent: NoncurrentVersion[];
  /** PutObject calls on the key so far: numbers its version ids. */
  puts: number;
}

/**
 * What the world file does not hold (it stores each object's current text only): metadata and
 * earlier versions, per simulator and `bucket/key`. Kept beside the state rather than in it so a
 * dump stays in world shape; a reloaded dump starts each object's history afresh.
 */
const versionsByState = new WeakMap<SimulatorState, Map<string, KeyVersions>>();

function versionsOf(state: SimulatorState): Map<string, KeyVersions> {
  let versions = versionsByState.get(state);
  if (!versions) {
    versions = new Map();
    versionsByState.set(state, versions);
  }
  return versions;
}

/**
 * Version ids shaped like S3's (32 characters of letters, digits, `.` and `_`) and derived from
 * the bucket, key and put count, so runs are reproducible. A world object is put number 0: its id
 * depends on its bucket and key only, so an S3 event sample can name the version of the object
 * any world seeds at that key (events/eventbridge/ name those of events/worlds/samples.yaml).
 */
export function versionIdFor(bucketName: string, key: string, put = 0): string {
  return createHash('sha256')
    .update(JSON.stringify(['s3-version', bucketName, key, put]))
    .digest('base64url')
    .slice(0, 32)
    .replace(/-/g, '.');
}

function currentMetadata(state: SimulatorState, bucketName: string, key: string): ObjectMetadata {
  return (
    versionsOf(state).get(`${bucketName}/${key}`)?.current ?? {
      versionId: versionIdFor(bucketName, key),
      contentType: defaultContentType,
      lastModified: worldObjectTime,
    }
  );
}

export const s3Service: ServiceModule = {
  service: 's3',
  resolve(request: SimRequest, context: ServiceContext) {
    const { bucket, key } = bucketAndKey(request);
    const { state } = context;
    if (bucket === undefined) {
      throw new SimError(
        'NotImplemented',
        'The simulator serves bucket and object operations only',
        501,
      );
    }
    if (key === undefined) {
      if (request.method === 'GET' && request.url.searchParams.get('list-type') === '2') {
        const input = listInput(request.url.searchParams);
        return {
          operation: 'ListObjectsV2',
          mutating: false,
          run: () => listObjects(state, bucket, input),
        };
      }
      throw notImplemented(request);
    }
    switch (request.method) {
      case 'GET':
        return {
          operation: 'GetObject',
          mutating: false,
          run: () => getObject(state, bucket, key, request.url.searchParams.get('versionId')),
        };
      case 'HEAD':
        return {
          operation: 'HeadObject',
          mutating: false,
          run: () => getObject(state, bucket, key, request.url.searchParams.get('versionId')),
        };
      case 'PUT':
        return {
          operation: 'PutObject',
          // The service's own records (a run's request, plan, results and report; a cluster's
          // desired state) change nothing it manages; counting them would make every rerun look
          // like it changed something.
          mutating: !key.startsWith(RUNS_PREFIX) && !key.startsWith(DESIRED_PREFIX),
          run: () => putObject(state, bucket, key, request),
        };
      default:
        throw notImplemented(request);
    }
  },
};

function notImplemented(request: SimRequest): SimError {
  return new SimError(
    'NotImplemented',
    `The simulator does not implement ${request.method} ${request.url.pathname}${request.url.search}`,
    501,
  );
}

/**
 * Path-style addressing. The key is everything after the bucket, decoded once: keys may contain
 * `/`, empty segments (`a//b`) and a trailing `/`, which path segments would lose.
 */
function bucketAndKey(request: SimRequest): { bucket?: string; key?: string } {
  const path = request.url.pathname;
  const slash = path.indexOf('/', 1);
  const rawBucket = slash < 0 ? path.slice(1) : path.slice(1, slash);
  const rawKey = slash < 0 ? '' : path.slice(slash + 1);
  try {
    return {
      bucket: rawBucket === '' ? undefined : decodeURIComponent(rawBucket),
      key: rawKey === '' ? undefined : decodeURIComponent(rawKey),
    };
  } catch {
    throw new SimError('InvalidURI', "Couldn't parse the specified URI.", 400);
  }
}

function requireBucket(state: SimulatorState, name: string) {
  const bucket = state.world.buckets.find((candidate) => candidate.name === name);
  if (!bucket) throw new SimError('NoSuchBucket', 'The specified bucket does not exist');
  return bucket;
}

function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

// ---- GetObject / HeadObject ----------------------------------------------------------------

/** Ids the simulator could have issued, and `null` (an object put before versioning was enabled). */
const VERSION_ID = /^(?:[A-Za-z0-9._]{32}|null)$/;

function getObject(
  state: SimulatorState,
  bucketName: string,
  key: string,
  versionId: string | null,
): SimResponse {
  const bucket = requireBucket(state, bucketName);
  const found =
    versionId === null
      ? currentVersion(state, bucket, bucketName, key)
      : versionOf(state, bucket, bucketName, key, versionId);
  if (!found) throw new SimError('NoSuchKey', 'The specified key does not exist.');
  const body = Buffer.from(found.body, 'utf8');
  const { metadata } = found;
  return {
    status: 200,
    headers: {
      'content-type': metadata.contentType,
      etag: etagOf(body),
      'last-modified': metadata.lastModified.toUTCString(),
      'accept-ranges': 'bytes',
      'x-amz-version-id': metadata.versionId,
    },
    // Node sends no body in answer to HEAD but keeps the body's content-length, as S3 reports it.
    body,
  };
}

interface FoundVersion {
  body: string;
  metadata: ObjectMetadata;
}

function currentVersion(
  state: SimulatorState,
  bucket: { objects: Record<string, string> },
  bucketName: string,
  key: string,
): FoundVersion | undefined {
  if (!Object.hasOwn(bucket.objects, key)) return undefined;
  return { body: bucket.objects[key] ?? '', metadata: currentMetadata(state, bucketName, key) };
}

/** `?versionId=`: that version of the key, whether current or not, or S3's errors. */
function versionOf(
  state: SimulatorState,
  bucket: { objects: Record<string, string> },
  bucketName: string,
  key: string,
  versionId: string,
): FoundVersion {
  if (versionId === '') {
    throw new SimError('InvalidArgument', 'Version id cannot be the empty string', 400);
  }
  if (!VERSION_ID.test(versionId)) {
    throw new SimError('InvalidArgument', 'Invalid version id specified', 400);
  }
  const current = currentVersion(state, bucket, bucketName, key);
  if (current?.metadata.versionId === versionId) return current;
  const noncurrent = versionsOf(state)
    .get(`${bucketName}/${key}`)
    ?.noncurrent.find((version) => version.versionId === versionId);
  if (noncurrent) {
    const { body, ...metadata } = noncurrent;
    return { body, metadata };
  }
  throw new SimError('NoSuchVersion', 'The specified version does not exist.', 404);
}

// ---- PutObject -----------------------------------------------------------------------------

async function putObject(
  state: SimulatorState,
  bucketName: string,
  key: string,
  request: SimRequest,
): Promise<SimResponse> {
  const bucket = requireBucket(state, bucketName);
  const { headers } = request;
  const chunked =
    String(headers['content-encoding'] ?? '').includes('aws-chunked') ||
    String(headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  const { body, trailers } = chunked
    ? decodeChunked(request.body)
    : { body: request.body, trailers: {} };
  const declaredLength = headers['x-amz-decoded-content-length'];
  if (chunked && declaredLength !== undefined && Number(declaredLength) !== body.length) {
    throw new SimError(
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header',
      400,
    );
  }
  const checksumHeaders = await verifyChecksums(body, { ...headersOf(request), ...trailers });
  const contentMd5 = headers['content-md5'];
  if (
    typeof contentMd5 === 'string' &&
    contentMd5 !== createHash('md5').update(body).digest('base64')
  ) {
    throw new SimError(
      'BadDigest',
      'The Content-MD5 you specified did not match what we received.',
      400,
    );
  }
  const versions = versionsOf(state);
  const id = `${bucketName}/${key}`;
  const known = versions.get(id);
  const previous = currentVersion(state, bucket, bucketName, key);
  const puts = (known?.puts ?? 0) + 1;
  const current: ObjectMetadata = {
    versionId: versionIdFor(bucketName, key, puts),
    contentType: String(headers['content-type'] ?? defaultContentType),
    lastModified: state.now(),
  };
  const noncurrent = known?.noncurrent ?? [];
  if (previous) noncurrent.push({ ...previous.metadata, body: previous.body });
  versions.set(id, { current, noncurrent, puts });
  // Defined rather than assigned: a key such as `__proto__` is an ordinary object key in S3.
  Object.defineProperty(bucket.objects, key, {
    value: body.toString('utf8'),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return {
    status: 200,
    headers: {
      etag: etagOf(body),
      'x-amz-server-side-encryption': 'AES256',
      'x-amz-version-id': current.versionId,
      ...checksumHeaders,
    },
  };
}

function headersOf(request: SimRequest): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) =>
      typeof value === 'string' ? [[name.toLowerCase(), value]] : [],
    ),
  );
}

/**
 * `aws-chunked` framing: `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n` per chunk, a zero-size
 * chunk, then trailer lines `name:value\r\n` and a blank line.
 */
function decodeChunked(raw: Buffer): { body: Buffer; trailers: Record<string, string> } {
  const chunks: Buffer[] = [];
  let offset = 0;
  const malformed = () =>
    new SimError(
      'InvalidRequest',
      'The aws-chunked body is not framed as chunks and trailers',
      400,
    );
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) throw malformed();
    const sizeText = raw.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '';
    const size = Number.parseInt(sizeText, 16);
    if (!/^[0-9a-fA-F]+$/.test(sizeText) || Number.isNaN(size)) throw malformed();
    offset = lineEnd + 2;
    if (size === 0) break;
    if (offset + size + 2 > raw.length) throw malformed();
    chunks.push(raw.subarray(offset, offset + size));
    offset += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of raw.subarray(offset).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0)
      trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(chunks), trailers };
}

/** Checks the `x-amz-checksum-*` values sent (as headers or trailers) and echoes them back as S3 does. */
async function verifyChecksums(
  body: Buffer,
  fields: Record<string, string>,
): Promise<Record<string, string>> {
  const echoed: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    const algorithm = /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.exec(name)?.[1];
    if (algorithm === undefined) continue;
    const computed = await checksum(algorithm, body);
    if (computed !== undefined && computed !== value) {
      throw new SimError(
        'BadDigest',
        `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
        400,
      );
    }
    echoed[name] = value;
  }
  return echoed;
}

/** Base64 digest; undefined for algorithms the simulator accepts without checking (CRC32C, CRC64NVME). */
async function checksum(algorithm: string, body: Buffer): Promise<string | undefined> {
  switch (algorithm) {
    case 'crc32': {
      const hash = new Crc32();
      hash.update(body);
      return Buffer.from(await hash.digest()).toString('base64');
    }
    case 'sha1':
    case 'sha256':
      return createHash(algorithm).update(body).digest('base64');
    default:
      return undefined;
  }
}

// ---- ListObjectsV2 -------------------------------------------------------------------------

interface ListInput {
  prefix: string;
  delimiter: string | undefined;
  maxKeys: number;
  continuationToken: string | undefined;
  startAfter: string | undefined;
}

function listInput(query: URLSearchParams): ListInput {
  if (query.has('encoding-type')) {
    throw new SimError(
      'NotImplemented',
      'The simulator does not implement encoding-type for ListObjectsV2',
      501,
    );
  }
  const maxKeysText = query.get('max-keys');
  const maxKeys = maxKeysText === null ? 1000 : Number(maxKeysText);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new SimError(
      'InvalidArgument',
      'Provided max-keys not an integer or within integer range',
      400,
    );
  }
  const delimiter = query.get('delimiter');
  return {
    prefix: query.get('prefix') ?? '',
    delimiter: delimiter === null || delimiter === '' ? undefined : delimiter,
    maxKeys: Math.min(maxKeys, 1000),
    continuationToken: query.get('continuation-token') ?? undefined,
    startAfter: query.get('start-after') ?? undefined,
  };
}

/** A listed entry: an object key, or a common prefix standing for every key under it. */
interface Entry {
  kind: 'key' | 'prefix';
  value: string;
}

function listObjects(state: SimulatorState, bucketName: string, input: ListInput): SimResponse {
  const bucket = requireBucket(state, bucketName);
  const resumeAfter =
    input.continuationToken === undefined ? undefined : parseContinuation(input.continuationToken);
  const keys = Object.keys(bucket.objects)
    .filter((key) => key.startsWith(input.prefix))
    .filter((key) => input.startAfter === undefined || compareKeys(key, input.startAfter) > 0)
    .filter((key) => resumeAfter === undefined || isAfter(key, resumeAfter))
    .sort(compareKeys);

  // Keys are sorted, so the keys rolled up into one common prefix are adjacent.
  const entries: Entry[] = [];
  for (const key of keys) {
    const entry = entryOf(key, input);
    const previous = entries.at(-1);
    if (entry.kind === 'prefix' && previous?.kind === 'prefix' && previous.value === entry.value)
      continue;
    entries.push(entry);
  }
  const page = entries.slice(0, input.maxKeys);
  const last = page.at(-1);
  const truncated = last !== undefined && entries.length > page.length;
  const contents = page
    .filter((entry) => entry.kind === 'key')
    .map(({ value: key }) => {
      const body = Buffer.from(bucket.objects[key] ?? '', 'utf8');
      const { lastModified } = currentMetadata(state, bucketName, key);
      return element(
        'Contents',
        textElement('Key', key) +
          textElement('LastModified', lastModified.toISOString()) +
          textElement('ETag', etagOf(body)) +
          textElement('Size', String(body.length)) +
          textElement('StorageClass', 'STANDARD'),
      );
    });
  const commonPrefixes = page
    .filter((entry) => entry.kind === 'prefix')
    .map(({ value }) => element('CommonPrefixes', textElement('Prefix', value)));

  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    textElement('Name', bucketName) +
    textElement('Prefix', input.prefix) +
    (input.delimiter === undefined ? '' : textElement('Delimiter', input.delimiter)) +
    (input.startAfter === undefined ? '' : textElement('StartAfter', input.startAfter)) +
    (input.continuationToken === undefined
      ? ''
      : textElement('ContinuationToken', input.continuationToken)) +
    textElement('MaxKeys', String(input.maxKeys)) +
    textElement('KeyCount', String(page.length)) +
    textElement('IsTruncated', String(truncated)) +
    (truncated && last ? textElement('NextContinuationToken', continuationFor(last)) : '') +
    contents.join('') +
    commonPrefixes.join('') +
    '</ListBucketResult>';
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xml };
}

function entryOf(key: string, input: ListInput): Entry {
  if (input.delimiter === undefined) return { kind: 'key', value: key };
  const at = key.indexOf(input.delimiter, input.prefix.length);
  if (at < 0) return { kind: 'key', value: key };
  return { kind: 'prefix', value: key.slice(0, at + input.delimiter.length) };
}

/** A key comes after the last listed entry: past it in order, and not rolled up into it. */
function isAfter(key: string, last: Entry): boolean {
  if (last.kind === 'prefix' && key.startsWith(last.value)) return false;
  return compareKeys(key, last.value) > 0;
}

function continuationFor(entry: Entry): string {
  return encodeToken(`${entry.kind}:${entry.value}`);
}

function parseContinuation(token: string): Entry {
  const text = decodeToken(token);
  const match = text === undefined ? null : /^(key|prefix):(.*)$/s.exec(text);
  if (!match?.[1] || match[2] === undefined) {
    throw new SimError('InvalidArgument', 'The continuation token provided is incorrect', 400);
  }
  return { kind: match[1] as Entry['kind'], value: match[2] };
}

/** Line breaks go out as character references: XML parsers normalise literal ones in text. */
function textElement(name: string, text: string): string {
  const escaped = escapeXml(text).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;');
  return `<${name}>${escaped}</${name}>`;
}

function element(name: string, innerXml: string): string {
  return `<${name}>${innerXml}</${name}>`;
}
