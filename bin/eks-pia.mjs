#!/usr/bin/env node
// The CLI is written in TypeScript; tsx compiles it on load so a checkout needs no build step.
import { register } from 'tsx/esm/api';

// The SDK's notice about Node 22 concerns its future releases; the versions here are pinned on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main, interrupt } = await import('../local/cli/main.ts');

/**
 * Exits once stdout and stderr have taken every byte: a pipe (`| jq`) is written asynchronously,
 * and `process.exit` before it drains cuts the output at the pipe's 64 KiB buffer.
 */
async function exitWhenFlushed(code) {
  await Promise.all(
    [process.stdout, process.stderr].map(
      (stream) => new Promise((resolve) => stream.write('', resolve)),
    ),
  );
  // A run abandoned by --timeout or a signal may still have work queued; the command's answer is final.
  process.exit(code);
}

// A reader that stops early (`| head`) closes the pipe: what it did not read is not wanted.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void exitWhenFlushed(interrupt(signal)));
}
await exitWhenFlushed(await main(process.argv.slice(2)));
