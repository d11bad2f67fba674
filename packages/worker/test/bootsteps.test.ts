/**
 * The worker as a blueprint, on Redis DB 1: built-in steps in order, steps a user adds from the app
 * (`app.steps.worker`, `app.steps.consumer`) started after what they require and stopped in reverse,
 * a conditional step left out, `info()`, and a bad step refused when the worker is built.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BootstepCycleError, BootstepError, ConsumerComponent, PoolComponent, StartStopStep, Step, TasksStep, Worker,
  type Consumer, type StepClass,
} from '@cq/worker';
import { REDIS_URL, rig, type Rig } from './boot-helpers.js';

let current: Rig | null = null;
afterEach(async () => {
  await current?.cleanup();
  current = null;
});

describe('worker blueprint', () => {
  it('starts Pool then Consumer (Connection, QoS, Tasks), and stops in reverse', async () => {
    const r = (current = rig(REDIS_URL));
    const worker = new Worker(r.app, { concurrency: 3 });
    expect(worker.blueprint.steps.map((s) => s.name)).toEqual(['Pool', 'Consumer']);
    expect(worker.consumer!.blueprint.steps.map((s) => s.name)).toEqual(['Connection', 'Events', 'QoS', 'Tasks', 'Control', 'Heart', 'Gossip']);
    expect(worker.pool.limit).toBe(3);
    expect(worker.prefetchCount).toBe(12);
    await worker.start();
    expect(worker.consumer!.taskConsumer!.consuming).toEqual([r.queue]);
    const info = worker.info();
    expect(info['Pool']).toMatchObject({ implementation: 'async', 'max-concurrency': 3 });
    expect(info['Consumer']).toMatchObject({ Connection: { broker: REDIS_URL }, QoS: { prefetch_count: 12 }, Tasks: { queues: [r.queue] } });
    await worker.stop();
    expect(worker.consumer!.connection).toBeNull();
    expect(worker.blueprint.state).toBe('stopped');
  });

  it('runs steps added from the app after what they require, stops them in reverse, leaves out a disabled one', async () => {
    const r = (current = rig(REDIS_URL));
    const add = r.app.task('boot.add', (x: number, y: number) => x + y);
    const log: string[] = [];

    // A worker step after the consumer: it sees the consumer running when it starts and when it stops.
    class Announcer extends Step<Worker> {
      static override readonly requires = [ConsumerComponent];
      override start(w: Worker) { log.push(`Announcer start, consuming ${w.consumer!.taskConsumer!.consuming.length}`); }
      override stop(w: Worker) { log.push(`Announcer stop, consuming ${w.consumer!.taskConsumer!.consuming.length}`); }
      override info() { return { announced: true }; }
    }
    // A worker service between the pool and the consumer (Celery's StartStopStep).
    class Heartbeat extends StartStopStep<Worker> {
      static override readonly requires = [PoolComponent];
      override create(w: Worker) {
        return { start: () => log.push(`Heartbeat start, pool ${w.pool.limit}`), stop: () => log.push('Heartbeat stop') };
      }
    }
    // A consumer step after Tasks: the channel is still open when it stops.
    class Probe extends Step<Consumer> {
      static override readonly requires = [TasksStep];
      override start(c: Consumer) { log.push(`Probe start, channel open ${c.channel!.isOpen}`); }
      override stop(c: Consumer) { log.push(`Probe stop, channel open ${c.channel!.isOpen}`); }
    }
    class Disabled extends Step<Worker> {
      override includeIf() { return false; }
      override start() { log.push('Disabled start'); }
    }
    r.app.steps.worker.add(Announcer);
    r.app.steps.worker.add(Heartbeat);
    r.app.steps.worker.add(Disabled);
    r.app.steps.consumer.add(Probe);

    const worker = new Worker(r.app);
    expect(worker.blueprint.steps.map((s) => s.name)).toEqual(['Pool', 'Heartbeat', 'Consumer', 'Announcer']);
    expect(worker.blueprint.order.map((s) => s.name)).toContain('Disabled');
    expect(worker.consumer!.blueprint.steps.map((s) => s.name)).toEqual(['Connection', 'Events', 'QoS', 'Tasks', 'Control', 'Heart', 'Gossip', 'Probe']);
    await worker.start();
    expect(await (await add.delay(2, 3)).get({ timeout: 15 })).toBe(5);
    expect(worker.info()['Announcer']).toEqual({ announced: true });
    await worker.stop();
    expect(log).toEqual([
      'Heartbeat start, pool 100', 'Probe start, channel open true', 'Announcer start, consuming 1',
      'Announcer stop, consuming 1', 'Probe stop, channel open true', 'Heartbeat stop',
    ]);
  });

  it('refuses a step that is not a Step class, or steps requiring each other, when the worker is built', () => {
    const r = (current = rig(REDIS_URL));
    r.app.steps.worker.add(class NotAStep {});
    expect(() => new Worker(r.app)).toThrow(BootstepError);
    r.app.steps.worker.clear();
    const loop: StepClass[] = [];
    class A extends Step<Worker> { static override readonly requires = loop; }
    class B extends Step<Worker> { static override readonly requires = [A]; }
    loop.push(B);
    r.app.steps.worker.add(B);
    expect(() => new Worker(r.app)).toThrow(BootstepCycleError);
  });

  it('excludes queues given in excludeQueues (-X), and refuses to exclude them all', () => {
    const r = (current = rig(REDIS_URL));
    const worker = new Worker(r.app, { queues: [r.queue, `${r.queue}.other`], excludeQueues: [`${r.queue}.other`] });
    expect(worker.queues.map((q) => q.name)).toEqual([r.queue]);
    expect(() => new Worker(r.app, { excludeQueues: [r.queue] })).toThrow(/every queue is excluded/);
  });
});
