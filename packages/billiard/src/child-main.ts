/**
 * The child side of the pool (billiard `worker()`): the module a forked child process or a worker
 * thread runs. It waits for the `init` message, imports the entry module, calls its `onProcessInit()`
 * and `init(initArgs)`, then runs jobs one at a time in arrival order. Outgoing messages produced in one
 * turn of the event loop are sent as one batch. After each job it checks `maxMemory` (KiB) as billiard
 * checks `max_memory_per_child`; when over, it starts nothing more and asks the parent to retire it.
 * On `stop` it finishes what it was given, calls `onProcessShutdown()` and exits with code 0.
 */

import { parentPort, isMainThread } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SoftTimeLimitExceeded } from './errors.js';
import { serializeError } from './remote-error.js';
import type { ToChild, ToParent } from './protocol.js';
import type { EntryModule, JobContext, JobHandler } from './entry.js';

type JobMessage = Extract<ToChild, { t: 'job' }>;

const isThread = !isMainThread && parentPort !== null;
const send = (batch: ToParent[]): void => {
  if (isThread) parentPort!.postMessage(batch);
  else process.send!(batch);
};

let outbox: ToParent[] = [];
let flushScheduled = false;

function out(message: ToParent): void {
  outbox.push(message);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  flushScheduled = false;
  const batch = outbox;
  outbox = [];
  if (batch.length === 0) return;
  try {
    send(batch);
  } catch {
    // One result could not be cloned: send one by one, replacing what fails by its error.
    for (const message of batch) {
      try {
        send([message]);
      } catch (error) {
        if (message.t === 'ok') send([{ t: 'err', i: message.i, e: serializeError(error), r: message.r }]);
        else throw error;
      }
    }
  }
}

/** Memory used by this child in KiB: resident set for a process; for a thread (which shares the
 *  process's RSS) its own V8 heap plus external memory (Buffers, ArrayBuffers). */
function memoryKiB(): number {
  if (!isThread) return process.memoryUsage.rss() / 1024;
  const usage = process.memoryUsage();
  return (usage.heapUsed + usage.external) / 1024;
}

let entry: EntryModule;
let handler: JobHandler;
let maxMemory = 0;
const queue: JobMessage[] = [];
let running = false;
let retiring = false;
let stopping = false;

async function start(init: Extract<ToChild, { t: 'init' }>): Promise<void> {
  try {
    const path = init.entry.startsWith('file:') ? fileURLToPath(init.entry) : init.entry;
    // Under tsx's CommonJS hook (TypeScript in a thread, see child-spec.ts) `require` exists and is the way in.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    entry = (typeof require === 'function' ? require(path) : await import(pathToFileURL(path).href)) as EntryModule;
    if (typeof entry.init !== 'function') throw new TypeError(`entry module ${init.entry} does not export init(initArgs)`);
    maxMemory = init.maxMemory;
    await entry.onProcessInit?.(init.initArgs);
    handler = await entry.init(init.initArgs);
    if (typeof handler !== 'function') throw new TypeError(`init() of ${init.entry} did not resolve to a handler function`);
  } catch (error) {
    const batch: ToParent[] = [{ t: 'init-error', e: serializeError(error) }];
    if (isThread) {
      parentPort!.postMessage(batch);
      process.exit(1);
    } else process.send!(batch, () => process.exit(1));
    return;
  }
  out({ t: 'ready' });
  pump();
}

function pump(): void {
  if (running || handler === undefined) return;
  const job = queue.shift();
  if (job !== undefined) void run(job);
  else if (stopping) void shutdown();
}

async function run(job: JobMessage): Promise<void> {
  running = true;
  out({ t: 'start', i: job.i });
  flush(); // now, with the previous result: the parent arms the hard limit on it, and a busy loop never yields
  let controller: AbortController | undefined; // made on first use: most jobs never look
  const softMs = job.s;
  let timer: NodeJS.Timeout | undefined;
  let deadline = Infinity;
  const expire = (): void => {
    controller ??= new AbortController();
    if (!controller.signal.aborted) controller.abort(new SoftTimeLimitExceeded(`soft time limit (${(softMs ?? 0) / 1000} s) exceeded`));
  };
  if (softMs !== undefined) {
    deadline = performance.now() + softMs;
    timer = setTimeout(expire, softMs);
  }
  const ctx: JobContext = {
    get signal() {
      return (controller ??= new AbortController()).signal;
    },
    jobId: job.j,
    checkpoint() {
      if (performance.now() >= deadline) expire();
      controller?.signal.throwIfAborted();
    },
  };
  const began = performance.now();
  try {
    const value = await handler(job.p, ctx);
    out({ t: 'ok', i: job.i, v: value, r: performance.now() - began });
  } catch (error) {
    out({ t: 'err', i: job.i, e: serializeError(error), r: performance.now() - began });
  } finally {
    clearTimeout(timer);
  }
  running = false;
  if (maxMemory > 0 && !retiring && memoryKiB() > maxMemory) {
    retiring = true;
    queue.length = 0;
    out({ t: 'retire' });
  }
  pump();
}

async function shutdown(): Promise<void> {
  stopping = false;
  try {
    await entry.onProcessShutdown?.();
  } finally {
    flush();
    if (isThread) process.exit(0);
    else process.send!([], () => process.exit(0));
  }
}

function receive(batch: ToChild[]): void {
  for (const message of batch) {
    if (message.t === 'job') {
      if (!retiring) queue.push(message);
    } else if (message.t === 'cancel' || message.t === 'yield') {
      const index = queue.findIndex((j) => j.i === message.i);
      if (index >= 0) {
        queue.splice(index, 1);
        if (message.t === 'yield') out({ t: 'yielded', i: message.i });
      }
    } else if (message.t === 'stop') stopping = true;
    else void start(message);
  }
  pump();
}

if (isThread) parentPort!.on('message', receive);
else {
  process.on('message', receive as (message: unknown) => void);
  process.on('disconnect', () => process.exit(0)); // the parent is gone
  process.on('SIGINT', () => {}); // Ctrl-C reaches the whole group; the parent decides (as billiard's workers do)
}
