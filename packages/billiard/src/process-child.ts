/** A child process started with `child_process.fork` and advanced (structured clone) serialization. */

import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Child } from './child.js';
import type { ChildEvents, ChildSpec } from './child.js';
import type { ToChild, ToParent } from './protocol.js';

export class ProcessChild extends Child {
  readonly pid: number;
  private readonly proc: ChildProcess;

  constructor(spec: ChildSpec, events: ChildEvents) {
    super(events);
    this.proc = fork(spec.childMain, [], { serialization: 'advanced', execArgv: spec.execArgv, env: spec.env });
    this.pid = this.proc.pid ?? -1;
    this.proc.on('message', (batch) => events.message(this, batch as ToParent[]));
    this.proc.on('error', () => {}); // a failed send or kill; 'close' follows when the process is gone
    // 'close' comes after the IPC channel is drained, so no result is lost to an early 'exit'.
    this.proc.on('close', (code, signal) => events.exit(this, code, signal));
  }

  protected send(batch: ToChild[]): void {
    if (this.proc.connected) this.proc.send(batch);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.proc.kill(signal);
  }
}
