import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  BootstrapInputError,
  CLOUDTRAIL_DETAIL_TYPE,
  CREATE_CLUSTER,
  EKS_API_SOURCE,
  EKS_EVENT_SOURCE,
  parseBootstrapInput,
  RegionMismatchError,
} from '../../../functions/core/bootstrap/event.ts';

const SAMPLE = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'events',
  'eventbridge',
  'cloudtrail-create-cluster.json',
);

interface SampleEvent {
  source: string;
  'detail-type': string;
  region?: string;
  detail: Record<string, unknown> & {
    eventSource: string;
    eventName: string;
    requestParameters: Record<string, unknown>;
    responseElements: { cluster: Record<string, unknown> } | null;
  };
}

function sample(): SampleEvent {
  return JSON.parse(readFileSync(SAMPLE, 'utf8'));
}

const REGION = 'us-west-2';

describe('parseBootstrapInput', () => {
  it('reads the cluster, region and caller from the sample CloudTrail CreateCluster event', () => {
    assert.deepEqual(parseBootstrapInput(sample(), REGION), {
      ignored: false,
      clusterName: 'demo',
      region: 'us-west-2',
      trigger: {
        kind: 'event',
        eventId: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b',
        eventTime: '2026-11-28T09:12:38Z',
        requestedBy: 'arn:aws:sts::111122223333:assumed-role/platform-admin/jane.doe',
      },
    });
  });

  it('matches the sample on the fields the EventBridge rule filters on', () => {
    const event = sample();
    assert.equal(event.source, EKS_EVENT_SOURCE);
    assert.equal(event['detail-type'], CLOUDTRAIL_DETAIL_TYPE);
    assert.equal(event.detail.eventSource, EKS_API_SOURCE);
    assert.equal(event.detail.eventName, CREATE_CLUSTER);
  });

  it('takes the name from the request when the response has no cluster', () => {
    const event = sample();
    event.detail.responseElements = null;
    event.detail.requestParameters.name = 'from-request';
    const start = parseBootstrapInput(event, REGION);
    assert.equal(start.ignored, false);
    assert.equal(start.clusterName, 'from-request');
  });

  it('ignores a failed CreateCluster call, naming the error and the cluster', () => {
    const event = sample();
    event.detail.errorCode = 'InvalidParameterException';
    event.detail.errorMessage = 'Subnets specified must be in at least two different AZs';
    event.detail.responseElements = null;
    const start = parseBootstrapInput(event, REGION);
    assert.equal(start.ignored, true);
    assert.equal(start.clusterName, 'demo');
    assert.equal(start.region, 'us-west-2');
    assert.match(
      start.ignored ? start.reason : '',
      /CreateCluster call for cluster "demo" failed \(InvalidParameterException: Subnets specified/,
    );
  });

  it('does not treat an empty or null errorCode as a failure', () => {
    for (const errorCode of [null, '']) {
      const event = sample();
      event.detail.errorCode = errorCode;
      assert.equal(parseBootstrapInput(event, REGION).ignored, false);
    }
  });

  it('ignores other EKS calls and other event sources', () => {
    const deleted = sample();
    deleted.detail.eventName = 'DeleteCluster';
    const ignoredDelete = parseBootstrapInput(deleted, REGION);
    assert.equal(ignoredDelete.ignored, true);
    assert.match(ignoredDelete.ignored ? ignoredDelete.reason : '', /DeleteCluster/);

    const s3 = { source: 'aws.s3', 'detail-type': 'Object Created', detail: {} };
    assert.deepEqual(parseBootstrapInput(s3, REGION), {
      ignored: true,
      reason:
        'a "Object Created" event from aws.s3 does not start a bootstrap; only the CloudTrail record of an eks.amazonaws.com CreateCluster call does',
      clusterName: null,
      region: null,
    });
  });

  it('accepts {clusterName, region} and defaults the region to the deployment', () => {
    assert.deepEqual(parseBootstrapInput({ clusterName: 'demo', region: REGION }, REGION), {
      ignored: false,
      clusterName: 'demo',
      region: REGION,
      trigger: { kind: 'input' },
    });
    const withoutRegion = parseBootstrapInput({ clusterName: 'demo' }, REGION);
    assert.equal(withoutRegion.ignored ? undefined : withoutRegion.region, REGION);
  });

  it('refuses a cluster in another region than the deployment, from an event or an input', () => {
    const event = sample();
    event.detail.awsRegion = 'eu-central-1';
    assert.throws(
      () => parseBootstrapInput(event, REGION),
      (error: unknown) =>
        error instanceof RegionMismatchError &&
        /cluster "demo" is in eu-central-1, but this deployment bootstraps clusters in us-west-2/.test(
          error.message,
        ),
    );
    assert.throws(
      () => parseBootstrapInput({ clusterName: 'demo', region: 'eu-central-1' }, REGION),
      RegionMismatchError,
    );
  });

  it('refuses inputs of no accepted shape with a message that says which shapes are', () => {
    const cases: [unknown, RegExp][] = [
      ['demo', /expected the EventBridge event/],
      [{ cluster: 'demo' }, /clusterName/],
      [{ clusterName: 'demo', region: REGION, extra: true }, /extra/],
      [{ clusterName: 'bad name!' }, /"bad name!" is not a valid EKS cluster name/],
      [{ clusterName: 'demo', region: 'Oregon' }, /"Oregon" is not a valid AWS region name/],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => parseBootstrapInput(input, REGION),
        (error: unknown) => error instanceof BootstrapInputError && message.test(error.message),
        JSON.stringify(input),
      );
    }
  });

  it('refuses a CreateCluster record that names no cluster or has malformed fields', () => {
    const nameless = sample();
    nameless.detail.responseElements = null;
    nameless.detail.requestParameters = {};
    assert.throws(() => parseBootstrapInput(nameless, REGION), /must name the cluster/);

    const malformed = sample();
    malformed.detail.awsRegion = 42 as unknown as string;
    assert.throws(() => parseBootstrapInput(malformed, REGION), BootstrapInputError);
  });
});
