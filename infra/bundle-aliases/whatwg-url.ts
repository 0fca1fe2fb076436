/**
 * Stands in for `whatwg-url` in the Lambda bundles (an esbuild alias of TaskFunction). Its only
 * user, node-fetch 2 (under @kubernetes/client-node), takes `URL` from `node:url` whenever Node has
 * it (`Url.URL || whatwgUrl.URL`), which every supported Node does; the package and its Unicode
 * tables (tr46) would add about 260 KiB to each Kubernetes task for nothing.
 */
export default { URL: globalThis.URL };
