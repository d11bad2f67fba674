/**
 * The worker's set of revoked task ids (Celery `celery/worker/state.py` `revoked`, a
 * `LimitedSet(maxlen=REVOKES_MAX, expires=REVOKE_EXPIRES)`): at most 50,000 ids, each kept
 * 10,800 s (3 h); the oldest go first. Checked when a task message arrives and again when an ETA
 * task comes due. Insert times are Unix seconds, so the set survives a restart through `--statedb`.
 */

/** Celery `REVOKES_MAX`. */
export const REVOKES_MAX = 50_000;
/** Celery `REVOKE_EXPIRES`, in seconds. */
export const REVOKE_EXPIRES = 10_800;

export class RevokedSet implements Iterable<string> {
  private readonly data = new Map<string, number>();
  private listeners: Array<() => void> = [];

  /**
   * @param maxlen most ids kept (default {@link REVOKES_MAX}); 0 = no limit
   * @param expires seconds an id is kept (default {@link REVOKE_EXPIRES}); 0 = forever
   */
  constructor(readonly maxlen = REVOKES_MAX, readonly expires = REVOKE_EXPIRES, private readonly now: () => number = () => Date.now() / 1000) {}

  /** Adds ids (a re-added id moves to the newest place); `at` is the insert time in Unix seconds. */
  add(ids: Iterable<string>, at = this.now()): void {
    for (const id of ids) {
      this.data.delete(id);
      this.data.set(id, at);
    }
    this.purge();
    for (const fn of this.listeners) fn();
  }

  has(id: string): boolean {
    const at = this.data.get(id);
    if (at === undefined) return false;
    if (this.expires > 0 && at + this.expires < this.now()) {
      this.data.delete(id);
      return false;
    }
    return true;
  }

  /** Ids kept now (expired ones are dropped first). */
  get size(): number {
    this.purge();
    return this.data.size;
  }

  /** Drops expired ids and the oldest past `maxlen` (Celery `LimitedSet.purge`). */
  purge(): void {
    const limit = this.expires > 0 ? this.now() - this.expires : -Infinity;
    for (const [id, at] of this.data) {
      if (at >= limit && (this.maxlen === 0 || this.data.size <= this.maxlen)) break;
      this.data.delete(id);
    }
  }

  [Symbol.iterator](): Iterator<string> {
    this.purge();
    return this.data.keys();
  }

  /**
   * The wire shape Celery's mingle exchanges (`LimitedSet._data`): `{id: [insert_time, id]}`.
   * {@link merge} accepts it, and also `{id: time}` and a plain list of ids.
   */
  toJSON(): Record<string, [number, string]> {
    this.purge();
    const out: Record<string, [number, string]> = {};
    for (const [id, at] of this.data) out[id] = [at, id];
    return out;
  }

  /** Merges ids received from another worker or a state file (Celery `LimitedSet.update`); bad entries are skipped. */
  merge(other: unknown): void {
    if (Array.isArray(other)) return this.add(other.filter((x): x is string => typeof x === 'string'));
    if (typeof other !== 'object' || other === null) return;
    const entries: Array<[string, number]> = [];
    for (const [id, value] of Object.entries(other)) {
      const at: unknown = Array.isArray(value) ? value[0] : value;
      if (typeof at === 'number' && Number.isFinite(at)) entries.push([id, at]);
    }
    entries.sort((a, b) => a[1] - b[1]);
    for (const [id, at] of entries) {
      const known = this.data.get(id);
      if (known === undefined || known < at) {
        this.data.delete(id);
        this.data.set(id, at);
      }
    }
    this.purge();
    for (const fn of this.listeners) fn();
  }

  /** Calls `fn` after every change (the state file saves then). Returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((f) => f !== fn);
    };
  }
}
