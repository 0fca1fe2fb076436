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
    // S3 models no exception for these: the client names the error by S3's code.
    if (error instanceof Error && error.name === 'NoSuchVersion') {
      throw new ConfigObjectError(
        `${where} does not exist: the object has no such version (deleted since it was uploaded, or the event names a version of another object); upload the config again`,
      );
    }
    if (error instanceof Error && error.name === 'InvalidArgument' && location.versionId) {
      throw new ConfigObjectError(
        `${where} cannot be read: S3 refuses the version id (${error.message}); start the run from the object's Object Created event, or leave the version out to read its latest version`,
      );
    }
    throw error;
  }
}
