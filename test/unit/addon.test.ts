import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAddon } from '../../functions/addons/check-addon/check-addon.ts';
import { createAddonTask } from '../../functions/addons/create-addon/create-addon.ts';
import {
  AddonFailedError,
  type AddonSummary,
  AddonVersionNotFoundError,
  addonState,
  ClusterNotActiveError,
  ClusterNotFoundError,
  type ClusterSummary,
  chooseAddonVersion,
  compareAddonVersions,
} from '../../functions/core/addon.ts';

const cluster: ClusterSummary = {
  name: 'demo',
  status: 'ACTIVE',
  version: '1.31',
  autoMode: false,
};
const addon = (status: string): AddonSummary => ({
  name: 'eks-pod-identity-agent',
  status,
  version: 'v1.3.4-eksbuild.1',
  healthIssues:
    status === 'DEGRADED'
      ? [{ code: 'InsufficientNumberOfReplicas', message: '0 of 3 ready' }]
      : [],
});

describe('addonState', () => {
  it('counts EKS Auto Mode as having the pod identity agent', () => {
    assert.deepEqual(
      addonState({ ...cluster, autoMode: true }, 'eks-pod-identity-agent', undefined),
      {
        state: 'ready',
        reason: 'built into EKS Auto Mode',
      },
    );
  });

  it('does not extend the Auto Mode exemption to other add-ons', () => {
    assert.equal(addonState({ ...cluster, autoMode: true }, 'vpc-cni', undefined).state, 'absent');
  });

  it('waits on CREATING, UPDATING and DELETING and is ready when ACTIVE', () => {
    for (const status of ['CREATING', 'UPDATING', 'DELETING']) {
      assert.equal(addonState(cluster, 'eks-pod-identity-agent', addon(status)).state, 'pending');
    }
    assert.equal(addonState(cluster, 'eks-pod-identity-agent', addon('ACTIVE')).state, 'ready');
  });

  it('fails on a failed or degraded add-on, quoting its health issues', () => {
    assert.throws(
      () => addonState(cluster, 'eks-pod-identity-agent', addon('DEGRADED')),
      (error: unknown) =>
        error instanceof AddonFailedError &&
        /DEGRADED \(InsufficientNumberOfReplicas: 0 of 3 ready\)/.test(error.message),
    );
    assert.throws(
      () => addonState(cluster, 'eks-pod-identity-agent', addon('CREATE_FAILED')),
      AddonFailedError,
    );
  });
});

describe('chooseAddonVersion', () => {
  it('prefers the version EKS marks default for the Kubernetes version', () => {
    const version = chooseAddonVersion('eks-pod-identity-agent', '1.31', [
      { version: 'v1.3.5-eksbuild.1', defaultForKubernetes: [] },
      { version: 'v1.3.4-eksbuild.1', defaultForKubernetes: ['1.31'] },
    ]);
    assert.equal(version, 'v1.3.4-eksbuild.1');
  });

  it('falls back to the newest version, compared numerically', () => {
    const version = chooseAddonVersion('x', '1.31', [
      { version: 'v1.9.0-eksbuild.1', defaultForKubernetes: [] },
      { version: 'v1.10.0-eksbuild.1', defaultForKubernetes: [] },
    ]);
    assert.equal(version, 'v1.10.0-eksbuild.1');
    assert.ok(compareAddonVersions('v1.3.4-eksbuild.2', 'v1.3.4-eksbuild.10') < 0);
  });

  it('names the add-on and Kubernetes version when EKS offers nothing', () => {
    assert.throws(() => chooseAddonVersion('no-such-addon', '1.31', []), AddonVersionNotFoundError);
  });
});

describe('checkAddon', () => {
  const deps = (found: ClusterSummary | undefined, installed: AddonSummary | undefined) => ({
    region: 'us-west-2',
    describeCluster: async () => found,
    describeAddon: async () => installed,
  });

  it('reports a missing add-on as absent with the cluster facts', async () => {
    const result = await checkAddon(
      { clusterName: 'demo', addonName: 'eks-pod-identity-agent' },
      deps(cluster, undefined),
    );
    assert.deepEqual(result, {
      clusterName: 'demo',
      addonName: 'eks-pod-identity-agent',
      state: 'absent',
      reason: 'not installed',
      status: null,
      version: null,
      autoMode: false,
    });
  });

  it('refuses a cluster that does not exist, naming the region', async () => {
    await assert.rejects(
      checkAddon(
        { clusterName: 'nope', addonName: 'eks-pod-identity-agent' },
        deps(undefined, undefined),
      ),
      (error: unknown) =>
        error instanceof ClusterNotFoundError &&
        /"nope" does not exist in region us-west-2/.test(error.message),
    );
  });

  it("refuses a cluster that is still being created, with eksctl's message", async () => {
    await assert.rejects(
      checkAddon(
        { clusterName: 'demo', addonName: 'eks-pod-identity-agent' },
        deps({ ...cluster, status: 'CREATING' }, undefined),
      ),
      (error: unknown) =>
        error instanceof ClusterNotActiveError &&
        error.message ===
          'cannot perform Kubernetes API operations on cluster "demo" in "us-west-2" region due to status "CREATING"',
    );
  });
});

describe('createAddonTask', () => {
  it('installs the default version with a request token that is the same on every retry', async () => {
    const requests: { addonVersion: string; clientRequestToken: string }[] = [];
    const deps = {
      region: 'us-west-2',
      describeCluster: async () => cluster,
      addonVersions: async () => [{ version: 'v1.3.4-eksbuild.1', defaultForKubernetes: ['1.31'] }],
      createAddon: async (input: { addonVersion: string; clientRequestToken: string }) => {
        requests.push(input);
        return addon('CREATING');
      },
      describeAddon: async () => undefined,
      isAlreadyExists: () => false,
    };
    const first = await createAddonTask(
      { clusterName: 'demo', addonName: 'eks-pod-identity-agent' },
      deps,
    );
    await createAddonTask({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' }, deps);
    assert.deepEqual(first, { created: true, version: 'v1.3.4-eksbuild.1', status: 'CREATING' });
    assert.equal(requests[0]?.addonVersion, 'v1.3.4-eksbuild.1');
    assert.equal(requests[0]?.clientRequestToken, requests[1]?.clientRequestToken);
  });

  it('treats an add-on created by someone else in the meantime as not created by this run', async () => {
    const result = await createAddonTask(
      {
        clusterName: 'demo',
        addonName: 'eks-pod-identity-agent',
        addonVersion: 'v1.3.2-eksbuild.2',
      },
      {
        region: 'us-west-2',
        describeCluster: async () => cluster,
        addonVersions: async () => [
          { version: 'v1.3.4-eksbuild.1', defaultForKubernetes: ['1.31'] },
          { version: 'v1.3.2-eksbuild.2', defaultForKubernetes: [] },
        ],
        createAddon: async () => {
          throw new Error('exists');
        },
        describeAddon: async () => addon('ACTIVE'),
        isAlreadyExists: () => true,
      },
    );
    assert.deepEqual(result, { created: false, version: 'v1.3.4-eksbuild.1', status: 'ACTIVE' });
  });
  it('reads latest as the default version and refuses a version EKS does not offer, creating nothing', async () => {
    const requests: { addonVersion: string }[] = [];
    const deps = {
      region: 'us-west-2',
      describeCluster: async () => cluster,
      addonVersions: async () => [
        { version: 'v1.3.5-eksbuild.1', defaultForKubernetes: [] },
        { version: 'v1.3.4-eksbuild.1', defaultForKubernetes: ['1.31'] },
      ],
      createAddon: async (input: { addonVersion: string }) => {
        requests.push(input);
        return addon('CREATING');
      },
      describeAddon: async () => undefined,
      isAlreadyExists: () => false,
    };
    const task = (addonVersion: string) =>
      createAddonTask(
        { clusterName: 'demo', addonName: 'eks-pod-identity-agent', addonVersion },
        deps,
      );
    await task('Latest');
    assert.equal(requests[0]?.addonVersion, 'v1.3.4-eksbuild.1');
    await assert.rejects(task('v9.9.9'), {
      name: 'AddonVersionNotFoundError',
      message:
        'EKS offers no version v9.9.9 of add-on "eks-pod-identity-agent" for Kubernetes 1.31; use one of v1.3.5-eksbuild.1, v1.3.4-eksbuild.1',
    });
    assert.equal(requests.length, 1);
  });
});
