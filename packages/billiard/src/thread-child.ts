/**
 * A child thread (`worker_threads.Worker`). Its "pid" is the thread id. On Node 20 loader hooks such as
 * `--import tsx` do not reach worker threads, so for TypeScript the thread first registers tsx's
 * CommonJS hook and requires the child main, or, for a JavaScript child main whose entry imports
 * TypeScript, registers tsx's ESM hooks and imports it (see `child-spec.ts`).
 */

import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Child } from './child.js';
import type { ChildEvents, ChildSpec } from './child.js';
import type { ToChild, ToParent } from './protocol.js';

/**
 * A `data:` module that registers tsx's ESM hooks in the thread, then imports the child main. An ES
 * module, not an `eval` script: eval makes `require` a global, which would send the child main and the
 * entry down their CommonJS path.
 */
function esmBootstrap(tsxEsmApi: string, childMain: string): URL {
  const code = `const { register } = await import(${JSON.stringify(pathToFileURL(tsxEsmApi).href)});\n`
    + `register();\nawait import(${JSON.stringify(pathToFileURL(childMain).href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export class ThreadChild extends Child {
  readonly pid: number;
  private readonly worker: Worker;

  constructor(spec: ChildSpec, events: ChildEvents) {
    super(events);
    const options = { execArgv: spec.execArgv, env: spec.env };
    this.worker =
      spec.tsxCjsApi !== undefined
        ? new Worker(`require(${JSON.stringify(spec.tsxCjsApi)}).register(); require(${JSON.stringify(spec.childMain)});`, { ...options, eval: true })
        : spec.tsxEsmApi !== undefined
          ? new Worker(esmBootstrap(spec.tsxEsmApi, spec.childMain), options)
          : new Worker(spec.childMain, options);
    this.pid = this.worker.threadId;
    this.worker.on('message', (batch) => events.message(this, batch as ToParent[]));
    // An uncaught error in the thread; 'exit' follows. Before `ready` it is why the child could not start.
    this.worker.on('error', (error) => {
      if (!this.ready) this.initError ??= error;
    });
    this.worker.on('exit', (code) => events.exit(this, code, null));
  }

  protected send(batch: ToChild[]): void {
    this.worker.postMessage(batch);
  }

  kill(): void {
    void this.worker.terminate();
  }
}
