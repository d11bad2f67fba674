/** The cq side of the interop tests: tasks Python clients call by name. */
import { Celery, Exchange, currentTask, type CelerySettings } from '@cq/celery';

/**
 * Extra queues, routes and transport options from the same JSON the Python side reads
 * (py/interop_tasks.py `_configure_from_env`): CQ_INTEROP_QUEUES, CQ_INTEROP_ROUTES,
 * CQ_INTEROP_TRANSPORT_OPTIONS.
 */
function fromEnv(): Partial<CelerySettings> {
  const env = process.env;
  const conf: Partial<CelerySettings> = {};
  const queues = JSON.parse(env['CQ_INTEROP_QUEUES'] ?? '[]') as { name: string; exchange?: string; exchange_type?: 'direct' | 'topic' | 'fanout'; routing_key?: string; max_priority?: number; queue_arguments?: Record<string, unknown> }[];
  if (queues.length > 0) {
    conf.task_queues = queues.map((q) => ({
      name: q.name,
      exchange: new Exchange(q.exchange ?? q.name, { type: q.exchange_type ?? 'direct' }),
      routingKey: q.routing_key ?? q.name,
      ...(q.max_priority === undefined ? {} : { maxPriority: q.max_priority }),
      ...(q.queue_arguments === undefined ? {} : { queueArguments: q.queue_arguments }),
    }));
  }
  if (env['CQ_INTEROP_ROUTES']) conf.task_routes = JSON.parse(env['CQ_INTEROP_ROUTES']) as CelerySettings['task_routes'];
  if (env['CQ_INTEROP_TRANSPORT_OPTIONS']) conf.broker_transport_options = JSON.parse(env['CQ_INTEROP_TRANSPORT_OPTIONS']) as Record<string, unknown>;
  return conf;
}

export const app = new Celery('interop', { accept_content: ['json', 'msgpack', 'yaml'], ...fromEnv() });

app.task('ts.add', (x: number, y: number) => x + y);
app.task('ts.echo', (...argsThenKwargs: unknown[]) => {
  const kwargs = argsThenKwargs.pop();
  return { args: argsThenKwargs, kwargs };
}, { acceptsKwargs: true });
app.task('ts.fail', (message: string) => {
  const err = new Error(message);
  err.name = 'ValueError';
  throw err;
});

export default app;

/** The side-effect store: Redis db CQ_INTEROP_COUNTER_DB (default 15). */
let counter: import('ioredis').Redis | null = null;
async function store(): Promise<import('ioredis').Redis> {
  if (!counter) {
    const { Redis } = await import('ioredis');
    counter = new Redis({ host: '127.0.0.1', port: 6379, db: Number(process.env['CQ_INTEROP_COUNTER_DB'] ?? '15') });
  }
  return counter;
}

/** Counts each run in Redis, so a test can prove exactly-once. */
app.task('mix.record', async (n: number) => {
  await (await store()).multi().incr(`mix:${n}`).rpush('mix:by', 'ts').exec();
  return { n, by: 'ts' };
});

/** Appends `ts:<value>` to the Redis list `key`: a side effect tests can see. */
app.task('mix.note', async (key: string, value: string) => {
  await (await store()).rpush(key, `ts:${value}`);
  return { value, by: 'ts' };
});

/** Reports where the message came from (exchange and routing key as this worker saw them). */
const where = (tag: string) => {
  const info = currentTask()?.request.deliveryInfo;
  return { tag, by: 'ts', exchange: info?.exchange ?? null, routing_key: info?.routing_key ?? null };
};
app.task('mix.where', where);
/** Same as mix.where, under a name the tests route with task_routes. */
app.task('mix.routed', where);
