/**
 * @cq/backend-rpc — Celery's rpc:// result backend for cq: each state change travels as one AMQP
 * message to the reply queue of the client that sent the task, compatible with Python Celery.
 *
 * Pass `rpcBackend()` in the app's plugins so its URLs resolve; the default export is the backend class.
 */
import { RpcBackend } from './rpc-backend.js';

export default RpcBackend;
export { RpcBackend, type RpcBackendOptions } from './rpc-backend.js';
export { RpcNotImplementedError } from './errors.js';
export { rpcBackend } from './plugin.js';
