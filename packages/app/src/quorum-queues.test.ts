/**
 * Queue types of the queues the app declares (Celery 5.5 `task_default_queue_type`, 5.6
 * `task_create_missing_queue_type` / `_exchange_type`, `celery/app/amqp.py` `AMQP.Queues` and
 * `Queues.new_missing`) and Celery's `detect_quorum_queues` (`celery/utils/quorum_queues.py`).
 */
import { describe, expect, it } from 'vitest';
import { Celery } from './app.js';
import { ImproperlyConfigured } from './errors.js';
import { detectQuorumQueues } from './quorum-queues.js';

describe('queue types', () => {
  it('declares the default queue as quorum with task_default_queue_type when task_queues is not set', () => {
    const app = new Celery('t', { task_default_queue_type: 'quorum' });
    expect(app.queue('celery').arguments).toEqual({ 'x-queue-type': 'quorum' });
    expect(app.queue('other').arguments).toEqual({}); // other created queues follow task_create_missing_queue_type
    expect(new Celery('t').queue('celery').arguments).toEqual({}); // classic: no argument, as Celery
  });

  it('gives created queues task_create_missing_queue_type and _exchange_type, not listed ones', () => {
    const app = new Celery('t', {
      task_queues: [{ name: 'listed', queueArguments: { 'x-queue-type': 'classic' } }],
      task_create_missing_queue_type: 'quorum', task_create_missing_queue_exchange_type: 'topic',
    });
    expect(app.queue('listed').arguments).toEqual({ 'x-queue-type': 'classic' });
    expect(app.queue('listed').exchange.type).toBe('direct');
    const created = app.queue('created');
    expect(created.arguments).toEqual({ 'x-queue-type': 'quorum' });
    expect(created.exchange).toMatchObject({ name: 'created', type: 'topic' });
    // task_queues is set, so the default queue is a created one too (Celery's Queues.__missing__)
    expect(app.queue('celery').arguments).toEqual({ 'x-queue-type': 'quorum' });
  });

  it('does not add task_queue_max_priority to a quorum queue (RabbitMQ refuses x-max-priority there)', () => {
    const app = new Celery('t', { task_default_queue_type: 'quorum', task_queue_max_priority: 10 });
    expect(app.queue('celery').arguments).toEqual({ 'x-queue-type': 'quorum' });
    expect(app.queue('classic').arguments).toEqual({ 'x-max-priority': 10 });
  });

  it('refuses a queue type other than classic or quorum', () => {
    const app = new Celery('t', { task_create_missing_queue_type: 'stream' as 'quorum' });
    expect(() => app.queue('x')).toThrow(ImproperlyConfigured);
    expect(() => app.queue('x')).toThrow(/task_create_missing_queue_type must be 'classic' or 'quorum'/);
  });
});

describe('detectQuorumQueues', () => {
  it('finds the first quorum queue of the app, on AMQP only (driver_type == "amqp")', () => {
    const app = new Celery('t', { task_queues: ['a', { name: 'b', queueArguments: { 'x-queue-type': 'quorum' } }] });
    expect(detectQuorumQueues(app, 'amqp')).toEqual([true, 'b']);
    expect(detectQuorumQueues(app, 'redis')).toEqual([false, '']);
    expect(detectQuorumQueues(new Celery('t'), 'amqp')).toEqual([false, '']);
  });

  it('also sees queues created since (a worker\'s -Q, a route)', () => {
    const app = new Celery('t', { task_create_missing_queue_type: 'quorum' });
    expect(detectQuorumQueues(app, 'amqp')).toEqual([false, '']);
    app.queue('routed');
    expect(detectQuorumQueues(app, 'amqp')).toEqual([true, 'routed']);
  });
});
