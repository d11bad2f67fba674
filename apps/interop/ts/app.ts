/** The cq side of the interop tests: tasks Python clients call by name. */
import { Celery } from '@cq/celery';

export const app = new Celery('interop', { accept_content: ['json', 'msgpack', 'yaml'] });

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

/** Counts each run in Redis (db from CQ_INTEROP_COUNTER_DB), so a test can prove exactly-once. */
let counter: import('ioredis').Redis | null = null;
app.task('mix.record', async (n: number) => {
  if (!counter) {
    const { Redis } = await import('ioredis');
    counter = new Redis({ host: '127.0.0.1', port: 6379, db: Number(process.env['CQ_INTEROP_COUNTER_DB'] ?? '15') });
  }
  await counter.multi().incr(`mix:${n}`).rpush('mix:by', 'ts').exec();
  return { n, by: 'ts' };
});
