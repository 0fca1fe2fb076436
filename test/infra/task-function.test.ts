import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { handlerEntry } from '../../functions/core/workflow-files.ts';
import { TaskFunction } from '../../infra/constructs/task-function.ts';
import { FIXTURE_FUNCTIONS_DIR, logicalIdOf, testAppProps } from './fixture-stack.ts';

describe('TaskFunction bundling', () => {
  const app = new App(testAppProps({ bundle: true }));
  const stack = new Stack(app, 'Bundled');
  const fn = new TaskFunction(stack, 'LookupCluster', {
    entry: handlerEntry(FIXTURE_FUNCTIONS_DIR, 'lookup-cluster'),
    timeout: Duration.seconds(30),
  });
  const other = new TaskFunction(stack, 'WriteReport', {
    entry: handlerEntry(FIXTURE_FUNCTIONS_DIR, 'write-report'),
    timeout: Duration.seconds(30),
  });
  const assembly = app.synth();
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const codeOf = (id: string) => functions[id]?.Properties?.Code as { S3Key: string };
  const code = codeOf(logicalIdOf(fn));
  const assetDir = path.join(assembly.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
  const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');

  it('emits one minified ES module that defines require for bundled CommonJS code', () => {
    // Assertions on booleans: a failure message must not print a 400 kB bundle.
    const banner =
      "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
    assert.equal(bundle.startsWith(banner), true, 'starts with the createRequire banner');
    assert.equal(/export\s*\{\s*\w+ as handler\s*\}/.test(bundle), true, 'exports handler');
    assert.equal(bundle.includes('const sts = new'), false, 'local names are minified');
  });

  it('bundles the AWS SDK instead of importing the runtime’s copy', () => {
    assert.equal(/from\s*["']@aws-sdk\//.test(bundle), false, 'no import of @aws-sdk/* remains');
    assert.equal(bundle.includes('com.amazonaws.sts'), true, 'the STS client code is inside');
  });

  it('gives each handler its own bundle', () => {
    assert.notEqual(codeOf(logicalIdOf(other)).S3Key, code.S3Key);
    assert.equal(functions[logicalIdOf(fn)]?.Properties?.Handler, 'index.handler');
  });

  it('ships a source map without the sources', () => {
    const mapFile = path.join(assetDir, 'index.mjs.map');
    assert.ok(existsSync(mapFile));
    const sourceMap = JSON.parse(readFileSync(mapFile, 'utf8')) as { sourcesContent?: unknown };
    assert.equal(sourceMap.sourcesContent, undefined);
    assert.equal(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/.test(bundle), true, 'links its map');
  });
});

describe('TaskFunction settings', () => {
  it('applies the given timeout, memory, retention, removal policy, service name and environment', () => {
    const stack = new Stack(new App(testAppProps()), 'Settings');
    const fn = new TaskFunction(stack, 'WriteReport', {
      entry: handlerEntry(FIXTURE_FUNCTIONS_DIR, 'write-report'),
      timeout: Duration.minutes(5),
      memorySize: 1024,
      logRetention: RetentionDays.ONE_WEEK,
      logRemovalPolicy: RemovalPolicy.DESTROY,
      serviceName: 'reports',
      environment: { CONFIG_BUCKET: 'configs' },
    });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300,
      MemorySize: 1024,
      Environment: {
        Variables: {
          CONFIG_BUCKET: 'configs',
          POWERTOOLS_SERVICE_NAME: 'reports',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    assert.deepEqual(template.findResources('AWS::Logs::LogGroup')[logicalIdOf(fn.logGroup)], {
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 7 },
      UpdateReplacePolicy: 'Delete',
      DeletionPolicy: 'Delete',
    });
  });
});
