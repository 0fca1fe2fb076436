/** Reads an eksctl config file from S3, refusing oversized objects before downloading them. */
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { MAX_CONFIG_BYTES } from '../core/config/index.ts';
import { NamedError } from '../core/errors.ts';
import { s3Client } from './clients.ts';

export class ConfigObjectError extends NamedError {
  override readonly name = 'ConfigObjectError';
}

export async function readConfigObject(location: {
  bucket: string;
  key: string;
  versionId?: string | undefined;
}): Promise<string> {
  const where = `s3://${location.bucket}/${location.key}${location.versionId ? ` (version ${location.versionId})` : ''}`;
  try {
    const response = await s3Client().send(
      new GetObjectCommand({
        Bucket: location.bucket,
        Key: location.key,
        VersionId: location.versionId,
      }),
    );
    if ((response.ContentLength ?? 0) > MAX_CONFIG_BYTES) {
      response.Body?.transformToWebStream().cancel();
      throw new ConfigObjectError(
        `${where} is ${response.ContentLength} bytes; configs are limited to ${MAX_CONFIG_BYTES} bytes: split it into several files`,
      );
    }
    return (await response.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (error instanceof NoSuchKey) {
      throw new ConfigObjectError(`${where} does not exist; check the bucket and key`);
    }
    throw error;
  }
}
