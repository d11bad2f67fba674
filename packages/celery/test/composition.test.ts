/**
 * The app is the composition root: importing @cq/canvas or @cq/events gives no app their behaviour;
 * only the plugins an app was given do, and two apps with different plugins in one process do not
 * affect each other. Real sends over the in-process memory broker; task-sent events are received.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Celery as AppCelery, CanvasUnavailableError, Ignore, type CeleryPlugin, type CelerySettings, type TaskContext,
} from '@cq/app';
import * as canvasModule from '@cq/canvas';
import * as eventsModule from '@cq/events';
import { TransportNotFoundError } from '@cq/kombu';
import { Celery } from '../src/index.js';

const apps: AppCelery[] = [];
afterAll(async () => { for (const app of apps) await app.close(); });

function makeApp(plugins: readonly CeleryPlugin[] | null): AppCelery {
  const vhost = `composition-${randomUUID()}`;
  const conf: Partial<CelerySettings> = { broker_url: `memory://${vhost}`, result_backend: `memory://${vhost}`, task_send_sent_event: true };
  const app = plugins === null ? new AppCelery('bare', conf) : new AppCelery('composed', conf, { plugins });
  apps.push(app);
  return app;
}

function plainContext(name: string): TaskContext {
  return {
    name,
    request: {
      id: randomUUID(), task: name, args: [1], kwargs: {}, retries: 0, eta: null, expires: null, hostname: 'test@host',
      deliveryInfo: { exchange: '', routing_key: 'celery', priority: 0, redelivered: false }, replyTo: null, correlationId: null,
      parentId: null, rootId: null, group: null, groupIndex: null, origin: null, timeLimit: [null, null], ignoreResult: false,
      headers: {}, embed: { callbacks: null, errbacks: null, chain: null, chord: null }, isEager: false,
    },
    signal: new AbortController().signal,
    retry(): never { throw new Error('no retry here'); },
    async updateState() {},
  };
}

/** What `ctx.replace(sig)` does in a bound task of `app`: the rejection it ends with. */
async function replaceOutcome(app: AppCelery): Promise<unknown> {
  const task = app.task('comp.replacing', (ctx, x: number) => ctx.replace({ task: 'comp.other', args: [x], kwargs: {}, options: {}, subtask_type: null, immutable: false }), { bind: true });
  return (task.invoke(plainContext(task.name), [1], {}) as Promise<unknown>).then(() => 'resolved', (err: unknown) => err);
}

/** The task-sent events the app's own broker carries while it sends one task. */
async function taskSentEvents(app: AppCelery): Promise<number> {
  let seen = 0;
  const receiver = await new eventsModule.EventReceiver({ app, handlers: { 'task-sent': () => { seen += 1; } } }).start();
  try {
    await app.sendTask('comp.anything', [1]);
    // A memory broker delivers within the turn; give it a few to be sure nothing is on its way.
    await new Promise((r) => setTimeout(r, 100));
    return seen;
  } finally {
    await receiver.close();
  }
}

describe('the app is the composition root', () => {
  it('importing @cq/canvas and @cq/events changes no app that was not given their plugins', async () => {
    expect(typeof canvasModule.canvas).toBe('function');
    expect(typeof eventsModule.events).toBe('function');
    const bare = makeApp(null);
    expect(bare.plugins).toEqual([]);
    expect(await replaceOutcome(bare)).toBeInstanceOf(CanvasUnavailableError);
    expect(await taskSentEvents(bare)).toBe(0);
  });

  it('two apps with different plugin sets behave independently in one process', async () => {
    const withCanvas = makeApp([canvasModule.canvas()]);
    const withEvents = makeApp([eventsModule.events()]);
    expect(await replaceOutcome(withCanvas)).toBeInstanceOf(Ignore); // replaced: the replacement was sent
    expect(await replaceOutcome(withEvents)).toBeInstanceOf(CanvasUnavailableError);
    expect(await taskSentEvents(withEvents)).toBe(1);
    expect(await taskSentEvents(withCanvas)).toBe(0);
  });

  it('a transport reaches an app only through its plugins, and the error names the fix', async () => {
    const bare = makeApp(null);
    const full = new Celery('full', { broker_url: 'redis://127.0.0.1:6379/9' });
    apps.push(full);
    expect(full.transports.has('redis')).toBe(true);
    expect(bare.transports.has('redis')).toBe(false);
    bare.configure({ brokerUrl: 'redis://127.0.0.1:6379/9' });
    const err = await bare.connection().connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportNotFoundError);
    expect((err as Error).message).toContain('pnpm add @cq/transport-redis');
    expect((err as Error).message).toContain('redisTransport()');
  });

  it("@cq/celery's Celery installs the full preset, and a plugin is installed once", () => {
    const app = new Celery('preset');
    apps.push(app);
    expect(app.plugins).toEqual([
      '@cq/transport-sqlite', '@cq/transport-redis', '@cq/transport-amqp', '@cq/backend-sqlite', '@cq/backend-redis',
      '@cq/backend-rpc', '@cq/canvas', '@cq/events', '@cq/control',
    ]);
    let installs = 0;
    const counting: CeleryPlugin = { name: 'counting', install: () => { installs += 1; } };
    app.use(counting, counting);
    expect(installs).toBe(1);
    expect(AppCelery.isApp(app)).toBe(true);
    expect(app.canvas).not.toBeNull();
  });
});
