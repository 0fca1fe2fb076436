/**
 * Working documents of one workflow run (request, plan, per-batch results, report), kept in the
 * config bucket under `runs/<runId>/`. Step Functions caps state payloads at 256 KiB, which a run
 * over thousands of associations would exceed, so large data travels by reference.
 */
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

export function configBucket(): string {
  const bucket = process.env.CONFIG_BUCKET;
  if (!bucket)
    throw new RunStoreSettingsError(
      'CONFIG_BUCKET is not set: the stack (or the local runner) names the config bucket',
    );
  return bucket;
}

export async function putRunDocument<T>(
  runId: string,
  document: RunDocument<T>,
  value: T,
): Promise<string> {
  const key = runDocumentKey(runId, document.name);
  await s3Client().send(
    new PutObjectCommand({
      Bucket: configBucket(),
      Key: key,
      Body: JSON.stringify(value),
      ContentType: 'application/json',
    }),
  );
  return `s3://${configBucket()}/${key}`;
}

async function readJson(bucket: string, key: string): Promise<unknown> {
  const response = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse((await response.Body?.transformToString()) ?? 'null');
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
  const location = `s3://${configBucket()}/${key}`;
  let value: unknown;
  try {
    value = await readJson(configBucket(), key);
  } catch (error) {
    if (error instanceof NoSuchKey) {
      throw new RunDocumentMissingError(
        `run document ${location} is missing; was the run restarted?`,
      );
    }
    throw error;
  }
  return checked(location, document.schema, value);
}

/** Reads `document` by the `s3://bucket/key` location `putRunDocument` returned for it. */
export async function getStoredDocument<T>(location: string, document: RunDocument<T>): Promise<T> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match?.[1] || !match[2]?.endsWith(`/${document.name}.json`)) {
    throw new RunDocumentLocationError(
      `${location} is not the s3://bucket/key location of a ${document.name} document`,
    );
  }
  return checked(location, document.schema, await readJson(match[1], match[2]));
}

/** The document, or undefined when it was never written (for example by a batch that failed). */
export async function findRunDocument<T>(
  runId: string,
  document: RunDocument<T>,
): Promise<T | undefined> {
  return orIfThrown(getRunDocument(runId, document), RunDocumentMissingError, undefined);
}
