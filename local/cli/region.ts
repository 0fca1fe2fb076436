import { STSClient } from '@aws-sdk/client-sts';

/**
 * The region as the SDK resolves it (AWS_REGION, then the profile's `region` in the shared config
 * files), else AWS_DEFAULT_REGION; undefined when none names one.
 */
export async function configuredRegion(): Promise<string | undefined> {
  const client = new STSClient({});
  try {
    return await client.config.region();
  } catch {
    return process.env.AWS_DEFAULT_REGION || undefined;
  } finally {
    client.destroy();
  }
}

export const NO_REGION =
  'no region: pass --region, set AWS_REGION, or give the profile (--profile or AWS_PROFILE) a region in ~/.aws/config';
