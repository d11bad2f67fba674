/**
 * A custom worker assembled from the bootsteps of @cq/worker instead of `cq worker`:
 *
 * - the worker blueprint is `PoolComponent`, `LeanConsumer` (connection, QoS, tasks: no events, no
 *   remote control) and the user-written `HealthEndpoint` step;
 * - the pool is a prefork pool of @cq/billiard child processes (`ProcessPool`), two children that
 *   import `tasks.ts` themselves and run the task functions, while this process keeps the broker
 *   connection, acks and results;
 * - SIGTERM/SIGINT stop it warmly (running tasks finish), then it exits 0.
 *
 * Run it from its directory with `tsx worker.ts` (from the repository:
 * `node --conditions=@cq/source --import tsx worker.ts`), then `curl localhost:8080/health`.
 */
import { fileURLToPath } from 'node:url';
import { createLogger } from '@cq/app';
import { PoolComponent, ProcessPool, Worker } from '@cq/worker';
import { HealthEndpoint } from './health.js';
import { LeanConsumer } from './lean-consumer.js';
import { app } from './tasks.js';

app.log = createLogger({ level: 'info' }); // the default logger shows warnings and worse only

// The children load the app from here; a .ts module gets tsx in them (see @cq/billiard's README).
const appModule = fileURLToPath(new URL('./tasks.ts', import.meta.url));

const worker = new Worker(app, {
  hostname: 'custom@%h',
  steps: [PoolComponent, LeanConsumer, HealthEndpoint],
  concurrency: 2,
  pool: (concurrency) => new ProcessPool({
    kind: 'prefork', concurrency, log: app.log,
    init: { appModule, brokerUrl: app.broker.url, resultBackend: app.resultBackendUrl ?? undefined },
  }),
});

let stopping = false;

/** Warm shutdown once, whatever number of signals arrive. */
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  app.log.info(`${signal}: stopping`);
  await worker.stop();
  await app.close();
  process.exit(0);
}

// `on`, not `once`: a signal sent to the whole process group (Ctrl-C, or the `tsx` CLI relaying one)
// can arrive twice, and a second one must not kill the process mid-shutdown.
process.on('SIGTERM', (signal) => void stop(signal));
process.on('SIGINT', (signal) => void stop(signal));
await worker.start();
app.log.info(`worker steps: ${worker.blueprint.steps.map((step) => step.name).join(', ')}; consumer steps: ${worker.consumer!.blueprint.steps.map((step) => step.name).join(', ')}`);
