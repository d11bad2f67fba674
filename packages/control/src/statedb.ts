/**
 * The worker's persistent state (Celery `celery/worker/state.py` `Persistent`, enabled with
 * `--statedb` / the `worker_state_db` setting): revoked ids and the logical clock survive a restart.
 * Celery keeps a Python `shelve`; cq keeps a small JSON file
 * `{"revoked": {id: [unix_s, id]}, "clock": n}` written atomically (temp file + rename) after
 * each change (debounced 100 ms) and at shutdown.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StateDbError } from './errors.js';
import type { LamportClock } from '@cq/kombu';
import type { RevokedSet } from './revoked.js';

export class StateDb {
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(readonly filename: string, private readonly revoked: RevokedSet, private readonly clock: LamportClock) {}

  /** Loads the file if it exists and saves after every change of the revoked set. @throws StateDbError for a corrupt file. */
  open(): void {
    let text: string | null = null;
    try {
      text = readFileSync(this.filename, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StateDbError(`cannot read state file ${this.filename}`, { cause: err });
    }
    if (text !== null && text.trim() !== '') {
      let data: { revoked?: unknown; clock?: unknown };
      try {
        data = JSON.parse(text) as typeof data;
      } catch (err) {
        throw new StateDbError(`state file ${this.filename} is not cq JSON state (a Celery shelve file cannot be shared)`, { cause: err });
      }
      this.revoked.merge(data.revoked ?? {});
      if (typeof data.clock === 'number') this.clock.adjust(data.clock);
    }
    this.unsubscribe = this.revoked.onChange(() => this.schedule());
  }

  /** Writes the file now. @throws StateDbError */
  save(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const tmp = `${this.filename}.${process.pid}.tmp`;
    try {
      mkdirSync(path.dirname(path.resolve(this.filename)), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ revoked: this.revoked.toJSON(), clock: this.clock.value }));
      renameSync(tmp, this.filename);
    } catch (err) {
      throw new StateDbError(`cannot write state file ${this.filename}`, { cause: err });
    }
  }

  /** Saves and stops listening. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.save();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.save();
      } catch (err) {
        process.emitWarning(String(err), { code: 'CQ_CONTROL_STATEDB' });
      }
    }, 100);
    this.timer.unref();
  }
}
