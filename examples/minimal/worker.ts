/**
 * A worker started in code (`new Worker(app)` from @cq/worker) rather than by `cq worker`: the async
 * pool (tasks in flight on this event loop), 10 at a time. SIGTERM or SIGINT stops it warmly: it stops
 * consuming, lets the running tasks finish, closes the connections and exits 0.
 *
 * Run it with `tsx examples/minimal/worker.ts` (or `node --import tsx ...`), from the repository with
 * `node --conditions=@cq/source --import tsx examples/minimal/worker.ts`.
 */
import { createLogger } from '@cq/app';
import { Worker } from '@cq/worker';
import { app } from './tasks.js';

app.log = createLogger({ level: 'info' }); // the default logger shows warnings and worse only

const worker = new Worker(app, { pool: 'async', concurrency: 10, hostname: 'minimal@%h' });

let stopping = false;

/** Warm shutdown once, whatever number of signals arrive. */
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  app.log.info(`${signal}: stopping`);
  await worker.stop();
  await app.close();
  app.log.info(`stopped after ${worker.stats.processed} task(s)`);
  process.exit(0);
}

// `on`, not `once`: a signal sent to the whole process group (Ctrl-C, or the `tsx` CLI relaying one)
// can arrive twice, and a second one must not kill the process mid-shutdown.
process.on('SIGTERM', (signal) => void stop(signal));
process.on('SIGINT', (signal) => void stop(signal));
await worker.start(); // logs "minimal@<host> ready." once it consumes
