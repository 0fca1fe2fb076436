import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  getAndSealRunDocument,
  getSealedDocument,
  putRunDocument,
} from '../../../functions/aws/run-store.ts';
import type { ItemResult } from '../../../functions/core/associations/report.ts';
import { ASSOCIATION_DOCUMENTS } from '../../../functions/core/run-documents.ts';
import { ACCOUNT, type Simulated, simulate, WORLD_HEADER } from './simulated.ts';

const BUCKET = `eks-pia-configs-${ACCOUNT}`;
const RESULTS = ASSOCIATION_DOCUMENTS.results(0);

describe('run documents sealed by the step that read them', () => {
  let simulated: Simulated;
  let previousBucket: string | undefined;
  before(async () => {
    simulated = await simulate(`${WORLD_HEADER}buckets: [{name: ${BUCKET}, objects: {}}]\n`);
    previousBucket = process.env.CONFIG_BUCKET;
    process.env.CONFIG_BUCKET = BUCKET;
  });
  after(async () => {
    if (previousBucket === undefined) delete process.env.CONFIG_BUCKET;
    else process.env.CONFIG_BUCKET = previousBucket;
    await simulated.stop();
  });

  const results: ItemResult[] = [
    { namespace: 'default', serviceAccount: 'web', action: 'create', result: 'created' },
  ];

  it('reads the document sealed, and reads it again by the seal while it is unchanged', async () => {
    await putRunDocument('run-1', RESULTS, results);
    const { value, sealed } = await getAndSealRunDocument('run-1', RESULTS);
    assert.deepEqual(value, results);
    assert.equal(sealed.location, `s3://${BUCKET}/runs/run-1/results-0.json`);
    assert.deepEqual(await getSealedDocument(sealed, RESULTS), results);
  });

  it('refuses it by the seal once it was changed in the bucket', async () => {
    await putRunDocument('run-2', RESULTS, results);
    const { sealed } = await getAndSealRunDocument('run-2', RESULTS);
    const bucket = simulated.sim.state.world.buckets.find((candidate) => candidate.name === BUCKET);
    assert.ok(bucket);
    const key = 'runs/run-2/results-0.json';
    bucket.objects[key] = (bucket.objects[key] ?? '').replace('created', 'failed');
    await assert.rejects(getSealedDocument(sealed, RESULTS), {
      name: 'RunDocumentChangedError',
      message: /results-0\.json was changed .*SHA-256 differs/,
    });
  });
});
