/**
 * What Flower keeps about each worker beside its events (`ControlHandler.worker_cache`): the replies
 * of the inspect commands `stats`, `active_queues`, `registered`, `scheduled`, `active`,
 * `reserved`, `revoked` and `conf`, plus the `timestamp` of the last update, stored in the worker's
 * row (secrets masked) so a restart keeps them. Updated for a worker when it comes online, for all
 * at start and on `GET /api/workers?refresh=1`. An empty reply keeps the previous one, as in Flower.
 */
import type { Control } from '@cq/celery';
import { redactSecrets } from './redact.js';
import type { EventStore } from './store/event-store.js';

/** The inspect commands whose replies make up a worker's info (Flower `INSPECT_METHODS`). */
export const INSPECT_METHODS = ['stats', 'active_queues', 'registered', 'scheduled', 'active', 'reserved', 'revoked', 'conf'] as const;

/** True for a reply Python would call truthy (not null, empty, 0 or false). */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

/** Replies every worker gives once it runs; a worker missing one is asked again (it joined before it could answer). */
const ALWAYS_ANSWERED = ['stats', 'active_queues', 'registered', 'conf'] as const;
/** Rounds a joining worker is inspected at most, and the seconds between them. */
const ATTEMPTS = 3;
const RETRY_DELAY = 2;

export class WorkerInspector {
  private queued = new Set<string>();
  private running: Promise<void> | null = null;
  private readonly attempts = new Map<string, number>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private closed = false;

  /** @param timeout seconds to wait for replies (Flower `inspect_timeout`). */
  constructor(private readonly control: Control, private readonly store: EventStore, private readonly timeout: number) {}

  /**
   * Inspects `names` (every worker when empty) and stores the replies. With names given, collecting
   * stops as soon as each answered.
   * @throws a kombu TransportError when the broker fails.
   */
  async update(names: readonly string[] = []): Promise<void> {
    const destination = names.length ? [...names] : null;
    const inspect = this.control.inspect({ destination, timeout: this.timeout, ...(destination ? { limit: destination.length } : {}) });
    const infos = new Map<string, Record<string, unknown>>();
    for (const method of INSPECT_METHODS) {
      const replies = await inspect.request(method, method === 'conf' ? { with_defaults: false } : {});
      for (const [worker, reply] of Object.entries(replies ?? {})) {
        if (!truthy(reply)) continue;
        const info = infos.get(worker) ?? { ...((await this.store.worker(worker))?.info ?? {}) };
        info[method] = redactSecrets(reply);
        info['timestamp'] = Date.now() / 1000;
        infos.set(worker, info);
      }
    }
    for (const [worker, info] of infos) await this.store.setWorkerInfo(worker, info);
  }

  /**
   * Queues a background update of one worker (many joining at once share one round); a worker whose
   * info still lacks a reply it always gives is asked again, up to 3 rounds 2 s apart. Never rejects.
   */
  enqueue(name: string, attempt = 1): void {
    if (this.closed) return;
    this.attempts.set(name, attempt);
    this.queued.add(name);
    this.running ??= (async () => {
      while (this.queued.size > 0) {
        const names = [...this.queued];
        this.queued.clear();
        await this.update(names).catch(() => undefined);
        for (const n of names) await this.retryIfIncomplete(n).catch(() => undefined);
      }
      this.running = null;
    })();
  }

  private async retryIfIncomplete(name: string): Promise<void> {
    const attempt = this.attempts.get(name) ?? ATTEMPTS;
    this.attempts.delete(name);
    const info = (await this.store.worker(name))?.info ?? {};
    if (this.closed || attempt >= ATTEMPTS || ALWAYS_ANSWERED.every((m) => m in info)) return;
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      this.enqueue(name, attempt + 1);
    }, RETRY_DELAY * 1000);
    timer.unref();
    this.retries.add(timer);
  }

  /** Resolves once queued updates are done. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Closes its remote control client (its own, so inspections never queue behind actions). Never throws. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.retries) clearTimeout(timer);
    await this.idle();
    await this.control.close().catch(() => undefined);
  }
}
