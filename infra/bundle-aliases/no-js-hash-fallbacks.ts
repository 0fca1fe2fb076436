/**
 * What the SDK's pure-JavaScript SHA-256, SHA-1 and MD5 classes become in the Lambda bundles
 * (infra/task-bundle.ts, `jsHashFallbackPlugin`). The SDK uses each only where `node:crypto`
 * cannot make that hash (`hasNativeCrypto ? native : Js`), which Lambda's Node always can, yet
 * esbuild keeps them (about 8 KiB a bundle). Should a runtime ever lack one, the hash fails,
 * loudly, with the reason.
 */
import { NamedError } from '../../functions/core/errors.ts';

export class JsHashFallbackNotBundledError extends NamedError {
  override readonly name = 'JsHashFallbackNotBundledError';
}

export function jsHashFallbackNotBundled(hash: string): never {
  throw new JsHashFallbackNotBundledError(
    `node:crypto cannot make ${hash} here, and this Lambda bundle leaves out the SDK's JavaScript ${hash} ` +
      '(infra/bundle-aliases/no-js-hash-fallbacks.ts); remove jsHashFallbackPlugin from infra/task-bundle.ts to run on such a runtime',
  );
}
