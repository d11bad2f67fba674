/**
 * A child thread (`worker_threads.Worker`). Its "pid" is the thread id. On Node 20 loader hooks such as
 * `--import tsx` do not reach worker threads, so for TypeScript the thread first registers tsx's
 * CommonJS hook and requires the child main (see `child-spec.ts`).
 */

import { Worker } from 'node:worker_threads';
import { Child } from './child.js';
import type { ChildEvents, ChildSpec } from './child.js';
import type { ToChild, ToParent } from './protocol.js';

export class ThreadChild extends Child {
  readonly pid: number;
  private readonly worker: Worker;

  constructor(spec: ChildSpec, events: ChildEvents) {
    super(events);
    const options = { execArgv: spec.execArgv, env: spec.env };
    this.worker =
      spec.tsxCjsApi === undefined
        ? new Worker(spec.childMain, options)
        : new Worker(`require(${JSON.stringify(spec.tsxCjsApi)}).register(); require(${JSON.stringify(spec.childMain)});`, { ...options, eval: true });
    this.pid = this.worker.threadId;
    this.worker.on('message', (batch) => events.message(this, batch as ToParent[]));
    this.worker.on('error', () => {}); // an uncaught error in the thread; 'exit' follows
    this.worker.on('exit', (code) => events.exit(this, code, null));
  }

  protected send(batch: ToChild[]): void {
    this.worker.postMessage(batch);
  }

  kill(): void {
    void this.worker.terminate();
  }
}
