#!/usr/bin/env node
// The CLI is written in TypeScript; tsx compiles it on load so a checkout needs no build step.
import { register } from 'tsx/esm/api';

// The SDK's notice about Node 22 concerns its future releases; the versions here are pinned on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../local/cli/main.ts');
const code = await main(process.argv.slice(2));
// A run abandoned by --timeout may still have work queued; the command's answer is final.
process.exit(code);
