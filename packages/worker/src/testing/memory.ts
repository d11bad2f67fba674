/**
 * The in-process broker and result backend for tests (Celery's `TestApp` config: `memory://` and
 * `cache+memory://`), wired in one call. Both are kombu's and Celery's in-memory stores, shared by
 * every connection to the same store name in this process: a client app and a worker started with
 * `startWorker` in the same process exchange messages and results through them. Each call picks a
 * fresh store unless told one, so two tests never see each other's messages.
 */
import { Celery, type AppOptions, type CelerySettings } from '@cq/app';
import { registerPing } from './ping.js';

let stores = 0;

export interface MemoryBrokerOptions {
  /**
   * Name of the in-process store (`memory://<store>`, `cache+memory://<store>`). Apps given the same
   * store share messages and results. Default: a new store on each call (`cq-test-<pid>-<n>`).
   */
  store?: string;
}

/** The broker and result backend URLs of an in-process store: `memory://<store>` and `cache+memory://<store>`. */
export function memoryUrls(options: MemoryBrokerOptions = {}): { brokerUrl: string; resultBackend: string } {
  const store = options.store ?? `cq-test-${process.pid}-${++stores}`;
  return { brokerUrl: `memory://${store}`, resultBackend: `cache+memory://${store}` };
}

/**
 * Points an existing app (your `tasks.ts` app) at an in-process broker and result backend, over its
 * configured ones (as the CLI's `-b`/`--result-backend` do, through `app.configure`). Call it before
 * the app first sends a task or a worker starts on it. Returns the app.
 *
 * ```ts
 * import { app, add } from './tasks.js';
 * useMemoryBroker(app);
 * await using worker = await startWorker(app);
 * ```
 */
export function useMemoryBroker<A extends Celery>(app: A, options: MemoryBrokerOptions = {}): A {
  app.configure(memoryUrls(options));
  return app;
}

/**
 * A new app for tests (Celery's `celery.contrib.testing.app.TestApp`): `broker_url` and
 * `result_backend` on a fresh in-process store ({@link memoryUrls}; `options.store` names a shared
 * one), then `conf`, which may replace them; `celery.ping` is registered. The other `options` go to
 * the app (`plugins`, `taskCls`); @cq/celery's `testApp` gives its full preset of plugins.
 */
export function testApp(name = 'celery.tests', conf: Partial<CelerySettings> = {}, options: AppOptions & MemoryBrokerOptions = {}): Celery {
  const { store, ...appOptions } = options;
  const urls = memoryUrls(store === undefined ? {} : { store });
  const app = new Celery(name, { broker_url: urls.brokerUrl, result_backend: urls.resultBackend, ...conf }, appOptions);
  registerPing(app);
  return app;
}
