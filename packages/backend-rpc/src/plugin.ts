/**
 * The app plugin of @cq/backend-rpc: registers RpcBackend for rpc:// result backend URLs
 * in the app's backend registry.
 *
 * ```ts
 * import { Celery } from '@cq/app';
 * import { rpcBackend } from '@cq/backend-rpc';
 * const app = new Celery('proj', { result_backend: '...' }, { plugins: [rpcBackend()] });
 * ```
 */
import { backendPlugin, type BackendPlugin } from '@cq/backend';
import { RpcBackend } from './rpc-backend.js';

/** The plugin to pass in the app's `plugins` so `result_backend` URLs of these schemes resolve. */
export function rpcBackend(): BackendPlugin {
  return backendPlugin('@cq/backend-rpc', ['rpc'], RpcBackend);
}
