/**
 * Working documents of one workflow run (request, plan, per-batch results, report), kept in the
 * config bucket under `runs/<runId>/`. Step Functions caps state payloads at 256 KiB, which a run
 * over thousands of associations would exceed, so large data travels by reference.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { NamedError, namedErrorClass, orIfThrown } from '../core/errors.ts';
import { type RunDocument, runDocumentKey } from '../core/run-documents.ts';
import * as z from '../core/zod.ts';
import { s3Client } from './clients.ts';

export class RunDocumentMissingError extends NamedError {
  override readonly name = 'RunDocumentMissingError';
}

export class RunDocumentInvalidError extends NamedError {
  override readonly name = 'RunDocumentInvalidError';
}

/** The function runs without the run store's settings: a deployment or local-runner bug. */
export const RunStoreSettingsError = namedErrorClass('RunStoreSettingsError');

/** A workflow passed a run document's location that is not one `putRunDocument` returns. */
export const RunDocumentLocationError = namedErrorClass('RunDocumentLocationError');

/**
 * A sealed run document is not what the step that sealed it (writing or reading it) checked: it
 * was changed in the bucket in between, and the step that reads it relies on checks it does not
 * repeat.
 */
export const RunDocumentChangedError = namedErrorClass('RunDocumentChangedError');

/**
 * A run document's location and the SHA-256 of its text as a step checked it (writing it, or
 * reading it). The workflow's state carries it to a later step, out of reach of anyone who can
 * write to the bucket, so that step can rely on those checks.
 */
export interface SealedDocument {
  location: string;
  sha256: string;
}

export function configBucket(): string {
  const bucket = process.env.CONFIG_BUCKET;
  if (!bucket)
    throw new RunStoreSettingsError(
      'CONFIG_BUCKET is not set: the stack (or the local runner) names the config bucket',
    );
  return bucket;
}

/** Writes JSON text at `key` of the config bucket; returns its `s3://` location. */
export async function putJsonObject(key: string, body: string): Promise<string> {
  await s3Client().send(
    new PutObjectCommand({
      Bucket: configBucket(),
      Key: key,
      Body: body,
      ContentType: 'application/json',
    }),
  );
  return `s3://${configBucket()}/${key}`;
}

function putJson(runId: string, name: string, body: string): Promise<string> {
  return putJsonObject(runDocumentKey(runId, name), body);
}

/** Where `putRunDocument` writes `document` of the run, before it is written. */
export function runDocumentLocation(
  runId: string,
  document: RunDocument<unknown>,
): { bucket: string; key: string; uri: string } {
  const bucket = configBucket();
  const key = runDocumentKey(runId, document.name);
  return { bucket, key, uri: `s3://${bucket}/${key}` };
}

export async function putRunDocument<T>(
  runId: string,
  document: RunDocument<T>,
  value: T,
): Promise<string> {
  return putJson(runId, document.name, JSON.stringify(value));
}

function sha256Of(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Writes `document` as `putRunDocument` does, and seals it for `getSealedDocument`. */
export async function putSealedRunDocument<T>(
  runId: string,
  document: RunDocument<T>,
  value: T,
): Promise<SealedDocument> {
  const body = JSON.stringify(value);
  return { location: await putJson(runId, document.name, body), sha256: sha256Of(body) };
}

async function readText(bucket: string, key: string): Promise<string> {
  try {
    const response = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await response.Body?.transformToString()) ?? 'null';
  } catch (error) {
    if (error instanceof NoSuchKey) {
      throw new RunDocumentMissingError(
        `run document s3://${bucket}/${key} is missing; was the run restarted?`,
      );
    }
    throw error;
  }
}

async function readJson(bucket: string, key: string): Promise<unknown> {
  return JSON.parse(await readText(bucket, key));
}

function checked<T>(location: string, schema: z.ZodMiniType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new RunDocumentInvalidError(
    `run document ${location} is not what this step reads: ${z.prettifyError(result.error)}. ` +
      'It was changed after its step wrote it, or written by another version of the service; ' +
      'start a new run rather than rerunning this one.',
  );
}

export async function getRunDocument<T>(runId: string, document: RunDocument<T>): Promise<T> {
  const key = runDocumentKey(runId, document.name);
  return checked(
    `s3://${configBucket()}/${key}`,
    document.schema,
    await readJson(configBucket(), key),
  );
}

function bucketAndKey(location: string, document: RunDocument<unknown>): [string, string] {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match?.[1] || !match[2]?.endsWith(`/${document.name}.json`)) {
    throw new RunDocumentLocationError(
      `${location} is not the s3://bucket/key location of a ${document.name} document`,
    );
  }
  return [match[1], match[2]];
}

/** Reads `document` by the `s3://bucket/key` location `putRunDocument` returned for it. */
export async function getStoredDocument<T>(location: string, document: RunDocument<T>): Promise<T> {
  return checked(location, document.schema, await readJson(...bucketAndKey(location, document)));
}

/** Reads the document `putSealedRunDocument` wrote, refusing it when it changed since. */
export async function getSealedDocument<T>(
  sealed: SealedDocument,
  document: RunDocument<T>,
): Promise<T> {
  const text = await readText(...bucketAndKey(sealed.location, document));
  if (sha256Of(text) !== sealed.sha256) {
    throw new RunDocumentChangedError(
      `run document ${sealed.location} was changed since the step that checked it sealed it (its SHA-256 differs), so the checks made on it no longer hold; start a new run`,
    );
  }
  return checked(sealed.location, document.schema, JSON.parse(text));
}

/**
 * Reads `document` as `getRunDocument` does, and seals what it read: the step that checks a
 * document hands the seal on, and a later step reads with `getSealedDocument` only the document
 * that was checked.
 */
export async function getAndSealRunDocument<T>(
  runId: string,
  document: RunDocument<T>,
): Promise<{ value: T; sealed: SealedDocument }> {
  const key = runDocumentKey(runId, document.name);
  const location = `s3://${configBucket()}/${key}`;
  const text = await readText(configBucket(), key);
  return {
    value: checked(location, document.schema, JSON.parse(text)),
    sealed: { location, sha256: sha256Of(text) },
  };
}

/** The document, or undefined when it was never written (for example by a batch that failed). */
export async function findRunDocument<T>(
  runId: string,
  document: RunDocument<T>,
): Promise<T | undefined> {
  return orIfThrown(getRunDocument(runId, document), RunDocumentMissingError, undefined);
}
