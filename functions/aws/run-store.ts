/**
 * Working documents of one workflow run (request, plan, per-batch results, report), kept in the
 * config bucket under `runs/<runId>/`. Step Functions caps state payloads at 256 KiB, which a run
 * over thousands of associations would exceed, so large data travels by reference.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { NamedError } from '../core/errors.ts';
import { runDocumentKey } from '../core/run-documents.ts';
import { s3Client } from './clients.ts';

export class RunDocumentMissingError extends NamedError {
  override readonly name = 'RunDocumentMissingError';
}

export function configBucket(): string {
  const bucket = process.env.CONFIG_BUCKET;
  if (!bucket)
    throw new Error(
      'CONFIG_BUCKET is not set: the stack (or the local runner) names the config bucket',
    );
  return bucket;
}

export async function putRunDocument(runId: string, name: string, value: unknown): Promise<string> {
  const key = runDocumentKey(runId, name);
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

export async function getRunDocument<T>(runId: string, name: string): Promise<T> {
  const key = runDocumentKey(runId, name);
  try {
    const response = await s3Client().send(
      new GetObjectCommand({ Bucket: configBucket(), Key: key }),
    );
    return JSON.parse((await response.Body?.transformToString()) ?? 'null') as T;
  } catch (error) {
    if (error instanceof NoSuchKey) {
      throw new RunDocumentMissingError(
        `run document s3://${configBucket()}/${key} is missing; was the run restarted?`,
      );
    }
    throw error;
  }
}

/** Reads a document by the `s3://bucket/key` location `putRunDocument` returned. */
export async function getStoredDocument<T>(location: string): Promise<T> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match?.[1] || !match[2]) throw new Error(`${location} is not an s3://bucket/key location`);
  const response = await s3Client().send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
  return JSON.parse((await response.Body?.transformToString()) ?? 'null') as T;
}

/** The document, or undefined when it was never written (for example by a batch that failed). */
export async function findRunDocument<T>(runId: string, name: string): Promise<T | undefined> {
  try {
    return await getRunDocument<T>(runId, name);
  } catch (error) {
    if (error instanceof RunDocumentMissingError) return undefined;
    throw error;
  }
}
