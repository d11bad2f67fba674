/**
 * @cq/worker — the cq worker: consume task messages, run them in a pool, store results, ack. The
 * worker is a blueprint of bootsteps (`Worker` → Pool, Consumer; `Consumer` → Connection, QoS, Tasks);
 * add your own with `app.steps.worker.add(Step)` / `app.steps.consumer.add(Step)`.
 */
export { Worker, WORKER_STEPS, type WorkerOptions, type WorkerState, type ShutdownMode } from './worker.js';
export { Blueprint, Step, StartStopStep, orderSteps, stepName, type StepClass, type Service, type BlueprintState } from './bootsteps.js';
export { PoolComponent } from './components/pool.js';
export { ConsumerComponent } from './components/consumer.js';
export { Consumer, CONSUMER_STEPS } from './consumer/consumer.js';
export { QoS } from './consumer/qos.js';
export { ConnectionStep } from './consumer/steps/connection.js';
export { QosStep } from './consumer/steps/qos.js';
export { TasksStep } from './consumer/steps/tasks.js';
export { DelayedDeliveryStep } from './consumer/steps/delayed-delivery.js';
export { ControlStep } from './consumer/steps/control.js';
export { WorkerControlState } from './consumer/control-state.js';
export { MingleStep } from './consumer/steps/mingle.js';
export { EventsStep } from './consumer/steps/events.js';
export { HeartStep, Heart, SOFTWARE_INFO } from './consumer/steps/heart.js';
export { GossipStep, Gossip, GOSSIP_TRANSPORTS } from './consumer/steps/gossip.js';
export { Request, failureSettlement, type RequestEnv, type FailureSettlement } from './request.js';
export { TaskStrategy, type StrategyHooks } from './strategy.js';
export { RateLimiter, TokenBucket, parseRate } from './rate-limit.js';
export { EtaSchedule, type EtaScheduleOptions } from './eta-schedule.js';
export { AsyncPool, SoloPool, createPool, isPoolName, POOL_NAMES, type Pool, type PoolJob, type PoolName, type PoolFactory } from './pool.js';
export { JobWindow, type WindowSize } from './job-window.js';
export {
  isManagedPool, runsInChildren, canResize, canRestart, canAutoscale, canTerminateJobs, listsProcesses,
  type ManagedPool, type ExecutorPool, type ResizablePool, type RestartablePool, type AutoscalingPool, type JobTerminator, type ProcessListingPool,
} from './pool-capabilities.js';
export { ProcessPool, type ProcessPoolOptions } from './process-pool.js';
export { fromChild, type Executor, type InvokeLimits, type TaskCall } from './executor.js';
export type { ChildInitArgs } from './child-entry.js';
export { nodename } from './hostname.js';
export { BadMessageLog, type BadMessageLevel, type BadMessageLogOptions } from './bad-message-log.js';
export { WORKER_DEFAULTS, workerSettings, type WorkerSettings } from './settings.js';
export {
  WorkerError, WorkerLostError, WorkerStateError, WorkerTerminate, PoolCapabilityError, PoolStartError, BootstepError, BootstepCycleError,
} from './errors.js';
