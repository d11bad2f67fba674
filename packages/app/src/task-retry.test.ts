import { describe, expect, it } from 'vitest';
import { Celery } from './app.js';
import { MaxRetriesExceededError, Retry } from './errors.js';
import type { TaskRequest } from './context.js';

const app = new Celery('t', { broker_url: 'memory://task-retry', task_default_retry_delay: 7 });
const task = app.task('sem.t', (a: number) => a, { maxRetries: 2 });

function request(over: Partial<TaskRequest> = {}): TaskRequest {
  return {
    id: 'abc', task: 'sem.t', args: [1], kwargs: { k: 2 }, retries: 0, eta: null, expires: new Date('2030-01-01T00:00:00Z'),
    hostname: 'celery@h', deliveryInfo: { exchange: '', routing_key: 'celery', priority: 3, redelivered: false },
    replyTo: 'rq', correlationId: 'abc', parentId: null, rootId: 'root1', group: 'g1', groupIndex: 2, origin: 'gen1@h',
    timeLimit: [10, 5], ignoreResult: false,
    headers: { lang: 'py', task: 'sem.t', id: 'abc', expires: '2030-01-01T00:00:00+00:00', retries: 0, root_id: 'root1', custom: 'kept', replaced_task_nesting: 0 },
    embed: { callbacks: null, errbacks: null, chain: null, chord: null }, isEager: false,
    ...over,
  };
}

describe('Task.retrySignal (Celery Task.retry + signature_from_request)', () => {
  it('re-sends what Celery 5.x does for the same request', () => {
    // Python 5.2.6 `t.signature_from_request(req, countdown=5, retries=1)` gives task_id abc, root_id root1,
    // parent_id None (send_task then uses the running task: abc), group_id g1, group_index 2, expires as
    // received, time_limit 10, soft_time_limit 5, reply_to rq, priority 3, queue 'celery' (default
    // exchange), args [1], kwargs {k: 2}; custom headers are kept since Celery 5.3 (#7555).
    const sig = task.retrySignal(request(), { countdown: 5 }).sig!;
    expect(sig.name).toBe('sem.t');
    expect(sig.args).toEqual([1]);
    expect(sig.options).toMatchObject({
      taskId: 'abc', rootId: 'root1', parentId: 'abc', groupId: 'g1', groupIndex: 2, expires: '2030-01-01T00:00:00+00:00',
      timeLimit: 10, softTimeLimit: 5, replyTo: 'rq', priority: 3, queue: 'celery', retries: 1, countdown: 5,
      kwargs: { k: 2 }, headers: { custom: 'kept' }, replacedTaskNesting: 0,
    });
    expect(sig.options).not.toHaveProperty('exchange');
    expect(sig.options).not.toHaveProperty('eta');
  });

  it('keeps a parent, routes back by exchange and routing key, and takes eta, args and extra options', () => {
    const eta = new Date('2031-02-03T04:05:06Z');
    const sig = task.retrySignal(request({ parentId: 'p1', deliveryInfo: { exchange: 'tasks', routing_key: 'rk' } }), {
      eta, args: [9], kwargs: {}, options: { priority: 8, headers: { extra: 1 } },
    }).sig!;
    expect(sig.args).toEqual([9]);
    expect(sig.options).toMatchObject({ parentId: 'p1', exchange: 'tasks', routingKey: 'rk', eta, kwargs: {}, priority: 8, headers: { extra: 1 } });
    expect(sig.options).not.toHaveProperty('countdown');
    expect(sig.options).not.toHaveProperty('queue');
  });

  it('defaults the countdown to defaultRetryDelay and stops at maxRetries', () => {
    expect(task.retrySignal(request()).sig!.options).toMatchObject({ countdown: 7, retries: 1 });
    expect(task.retrySignal(request({ retries: 1 }))).toBeInstanceOf(Retry);
    expect(() => task.retrySignal(request({ retries: 2 }))).toThrow(MaxRetriesExceededError);
    expect(() => task.retrySignal(request({ retries: 2 }))).toThrow("Can't retry sem.t[abc] args:[1] kwargs:{\"k\":2}");
    const cause = new Error('cause');
    expect(() => task.retrySignal(request({ retries: 2 }), { exc: cause })).toThrow(cause);
    expect(task.retrySignal(request({ retries: 50 }), { maxRetries: null })).toBeInstanceOf(Retry);
    expect(() => task.retrySignal(request({ retries: 5 }), { maxRetries: 5 })).toThrow(MaxRetriesExceededError);
  });
});
