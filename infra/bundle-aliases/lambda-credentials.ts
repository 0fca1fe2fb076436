/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias of
 * TaskFunction). Lambda hands every function its role's credentials in environment variables, so
 * the SDK's full default chain (SSO, profiles, web identity, process, container and instance
 * metadata, with the STS and SSO clients they bring) would only add to each bundle and its cold
 * start. The SDK calls `defaultProvider(config)` for each client.
 */
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
