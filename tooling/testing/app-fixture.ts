/**
 * `AppFixture`: what a package's tests with in-process cq apps and workers share — it remembers
 * the apps, workers, results and queues a test made, and `cleanup()` shuts the workers down (cold),
 * forgets the results, deletes the queues (with their exchanges) and closes the apps. Typed
 * structurally (a @cq/celery `Celery`, `Worker` and `AsyncResult` fit), so this package depends on
 * no cq package. Also `until(check)`, a polling wait that answers true or false.
 *
 * ```ts
 * class Fixture extends AppFixture<Celery, Worker, AsyncResult> {
 *   app(queue: string): Celery { return this.adopt(new Celery('t', { broker_url, task_default_queue: queue })); }
 *   worker(app: Celery): Promise<Worker> { return this.startWorker(new Worker(app, { pool: 'async' })); }
 * }
 * afterEach(() => fixture.cleanup());
 * ```
 */

/** The channel of a broker connection, as far as cleanup uses it (@cq/celery `Channel`). */
export interface FixtureChannel {
  deleteQueue(name: string): Promise<unknown>;
  deleteExchange(name: string): Promise<unknown>;
}

/** What the fixture needs of an app (@cq/celery `Celery`). */
export interface FixtureApp {
  connection(): { channel(): Promise<FixtureChannel>; close(): Promise<unknown> };
  /** The queues the app consumes by default (`task_default_queue`, `task_queues`). */
  defaultQueues(): Iterable<{ readonly name: string }>;
  close(): Promise<unknown>;
}

/** What the fixture needs of a worker (@cq/celery `Worker`). */
export interface FixtureWorker {
  start(): Promise<unknown>;
  shutdown(mode: 'cold'): Promise<unknown>;
}

/** What the fixture needs of a result (@cq/celery `AsyncResult`). */
export interface FixtureResult {
  forget(): Promise<unknown>;
}

/**
 * Base class of a package's test fixture. All the apps of one fixture are expected to share a
 * broker: the queues are deleted through the first app's connection.
 */
export class AppFixture<A extends FixtureApp, W extends FixtureWorker = FixtureWorker, R extends FixtureResult = FixtureResult> {
  private readonly apps: A[] = [];
  private readonly workers: W[] = [];
  private readonly results: R[] = [];
  private readonly queues = new Set<string>();

  /** Remembers `app` (its default queues are deleted and it is closed at cleanup) and `queues` besides; returns `app`. */
  protected adopt(app: A, ...queues: string[]): A {
    this.apps.push(app);
    this.deleteAtCleanup(...queues);
    return app;
  }

  /** Queue names (of a Python peer, say) to delete at cleanup besides the apps' default queues. */
  protected deleteAtCleanup(...queues: string[]): void {
    for (const queue of queues) this.queues.add(queue);
  }

  /** Remembers `worker` (shut down cold at cleanup), then starts it; resolves with it once it consumes. */
  protected async startWorker(worker: W): Promise<W> {
    this.workers.push(worker);
    await worker.start();
    return worker;
  }

  /** Remembers results to forget at cleanup. */
  protected forgetAtCleanup(...results: R[]): void {
    this.results.push(...results);
  }

  /**
   * Shuts the workers down (cold, errors ignored), runs `afterWorkers` (closing plugins, say),
   * forgets the results, deletes the queues and their exchanges (errors ignored) and closes the apps.
   */
  async cleanup(afterWorkers?: () => Promise<void>): Promise<void> {
    for (const worker of this.workers.splice(0)) await worker.shutdown('cold').catch(() => undefined);
    await afterWorkers?.();
    for (const result of this.results.splice(0)) await result.forget().catch(() => undefined);
    const apps = this.apps.splice(0);
    for (const app of apps) for (const queue of app.defaultQueues()) this.queues.add(queue.name);
    if (apps[0] && this.queues.size > 0) {
      const conn = apps[0].connection();
      const channel = await conn.channel();
      for (const queue of this.queues) {
        await channel.deleteQueue(queue).catch(() => undefined);
        await channel.deleteExchange(queue).catch(() => undefined);
      }
      await conn.close();
    }
    this.queues.clear();
    for (const app of apps) await app.close().catch(() => undefined);
  }
}

/** Polls `check` every 20 ms until it is true; resolves true then, or false after `timeoutMs` (default 10 000 ms). */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
