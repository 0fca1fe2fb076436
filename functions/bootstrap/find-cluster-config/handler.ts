import { readConfigObject } from '../../aws/config-object.ts';
import { defineTask } from '../../aws/lambda.ts';
import { listKeys } from '../../aws/list-keys.ts';
import { configBucket, putRunDocument } from '../../aws/run-store.ts';
import { APPLIED_CONFIG_DOCUMENT } from '../../core/bootstrap/config-files.ts';
import { BOOTSTRAP_DOCUMENTS, runDocumentKey } from '../../core/run-documents.ts';
import { input, output } from './contract.ts';
import { findClusterConfig } from './find-cluster-config.ts';

export const handler = defineTask('find-cluster-config', { input, output }, (event) => {
  const bucket = configBucket();
  return findClusterConfig(event, {
    bucket,
    listKeys: (prefix) => listKeys(bucket, prefix),
    readText: (key) => readConfigObject({ bucket, key }),
    saveConfig: async (runId, value) => {
      await putRunDocument(runId, BOOTSTRAP_DOCUMENTS.appliedConfig, value);
      return runDocumentKey(runId, APPLIED_CONFIG_DOCUMENT);
    },
  });
});
