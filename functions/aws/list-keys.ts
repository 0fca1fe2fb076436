/** Lists the config bucket's keys under a prefix, every page. */
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { s3Client } from './clients.ts';

export async function listKeys(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2(
    { client: s3Client() },
    { Bucket: bucket, Prefix: prefix },
  )) {
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) keys.push(object.Key);
    }
  }
  return keys;
}
