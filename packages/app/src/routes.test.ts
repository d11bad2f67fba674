import { describe, expect, it } from 'vitest';
import { Exchange } from '@cq/kombu';
import { Celery } from './app.js';
import { QueueNotFound } from './errors.js';
import { resolveRoute } from './routes.js';
import type { CelerySettings } from './config.js';

function route(conf: Partial<CelerySettings>, explicit = {}, fromTask = {}, name = 'proj.a', task?: unknown) {
  const app = new Celery('r', { broker_url: 'memory://routes', ...conf });
  return resolveRoute(app.conf, explicit, fromTask, name, [1], { k: 2 }, { queue: (q) => app.queue(q), task });
}

describe('resolveRoute (Celery Router.route + send_task_message)', () => {
  it('sends to the default queue through the default exchange when nothing routes', () => {
    expect(route({})).toEqual({ queue: 'celery', exchange: '', routingKey: 'celery' });
    expect(route({ task_default_queue: 'dq' })).toEqual({ queue: 'dq', exchange: '', routingKey: 'dq' });
  });

  it('looks up exact names, then globs, in a task_routes map', () => {
    const task_routes = { 'proj.a': 'qa', 'proj.*': { queue: 'qglob', priority: 3 }, 'other.?': 'q1' };
    expect(route({ task_routes })).toMatchObject({ queue: 'qa', exchange: '', routingKey: 'qa' });
    expect(route({ task_routes }, {}, {}, 'proj.b')).toEqual({ queue: 'qglob', exchange: '', routingKey: 'qglob', priority: 3 });
    expect(route({ task_routes }, {}, {}, 'other.x')).toMatchObject({ queue: 'q1' });
    expect(route({ task_routes }, {}, {}, 'other.xy')).toMatchObject({ queue: 'celery' });
  });

  it('tries a list of routers in order; a function router gets (name, args, kwargs, options, task)', () => {
    const seen: unknown[] = [];
    const task = { marker: true };
    const fn = (name: string, args: unknown[], kwargs: Record<string, unknown>, options: Record<string, unknown>, t?: unknown) => {
      seen.push([name, args, kwargs, options, t]);
      return name.endsWith('.fn') ? { queue: 'qfn', routing_key: 'ignored-for-direct' } : null;
    };
    const task_routes = [fn, { 'proj.*': 'qmap' }];
    expect(route({ task_routes }, {}, {}, 'proj.fn', task)).toMatchObject({ queue: 'qfn' });
    expect(route({ task_routes }, { priority: 1 }, {}, 'proj.x', task)).toMatchObject({ queue: 'qmap', priority: 1 });
    expect(seen[0]).toEqual(['proj.fn', [1], { k: 2 }, {}, task]);
    expect(seen[1]).toEqual(['proj.x', [1], { k: 2 }, { priority: 1 }, task]);
  });

  it('merges the route under the task options and the call options, key by key (lpmerge)', () => {
    const task_routes = { 'proj.a': { queue: 'routed', priority: 2 } };
    expect(route({ task_routes }, {}, { queue: 'taskq' })).toEqual({ queue: 'taskq', exchange: '', routingKey: 'taskq', priority: 2 });
    expect(route({ task_routes }, { queue: 'callq' }, { queue: 'taskq' })).toMatchObject({ queue: 'callq', priority: 2 });
    expect(route({ task_routes }, { priority: 9 }, { priority: 5 })).toMatchObject({ queue: 'routed', priority: 9 });
    // Celery sets task_default_priority on the options (setdefault), so it beats a routed priority.
    expect(route({ task_routes, task_default_priority: 4 })).toMatchObject({ queue: 'routed', priority: 4 });
    expect(route({ task_default_priority: 4 }, {}, { priority: 6 })).toMatchObject({ priority: 6 });
  });

  it('uses the exchange and routing key of a topic queue from task_queues', () => {
    const conf = {
      task_queues: [{ name: 'feed', exchange: new Exchange('feeds', { type: 'topic' }), routingKey: 'feed.#' }],
      task_routes: { 'proj.a': { queue: 'feed', routing_key: 'feed.import' } },
    };
    expect(route(conf)).toEqual({ queue: 'feed', exchange: 'feeds', routingKey: 'feed.import' });
    expect(route(conf, {}, {}, 'proj.b', undefined)).toMatchObject({ queue: 'celery' });
  });

  it('throws QueueNotFound for an unknown queue when task_create_missing_queues is false', () => {
    const conf = { task_create_missing_queues: false, task_queues: ['known'], task_routes: { 'proj.a': 'unknown' } };
    expect(() => route(conf)).toThrow(QueueNotFound);
    expect(() => route(conf)).toThrow(/"unknown" is not in task_queues/);
    expect(route(conf, {}, {}, 'proj.b', undefined)).toMatchObject({ queue: 'celery' });
    expect(route(conf, { queue: 'known' })).toMatchObject({ queue: 'known' });
  });

  it('sendTask refuses an unknown queue with QueueNotFound before publishing', async () => {
    const app = new Celery('r', { broker_url: 'memory://routes-send', task_create_missing_queues: false, task_queues: ['known'] });
    const t = app.task('proj.t', () => 1);
    await expect(t.applyAsync([], { queue: 'nope' })).rejects.toMatchObject({ name: 'QueueNotFound', code: 'CQ_APP_QUEUE_NOT_FOUND' });
    await app.close();
  });
});
