/**
 * @cq/worker — the cq worker: consume task messages, run them in a pool, store results, ack.
 */
export { Worker, type WorkerOptions, type WorkerState } from './worker.js';
export { Request, type RequestEnv } from './request.js';
export { TaskStrategy, type StrategyHooks } from './strategy.js';
export { AsyncPool, SoloPool, createPool, type Pool, type PoolJob, type PoolName } from './pool.js';
export { nodename } from './hostname.js';
export { WorkerError, WorkerLostError, WorkerStateError } from './errors.js';
