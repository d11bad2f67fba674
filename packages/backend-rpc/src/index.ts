/**
 * @cq/backend-rpc — Celery's rpc:// result backend for cq: each state change travels as one AMQP
 * message to the reply queue of the client that sent the task, compatible with Python Celery.
 *
 * Registry convention (see `@cq/backend` `createBackend`): the default export is the backend class,
 * whose static `fromUrl(url, options)` builds it from `rpc://` and `options.brokerUrl`.
 */
import { RpcBackend } from './rpc-backend.js';

export default RpcBackend;
export { RpcBackend, type RpcBackendOptions } from './rpc-backend.js';
export { RpcNotImplementedError } from './errors.js';
