/**
 * `cq migrate <source> <destination>`: move task messages from one broker to another (Celery
 * `celery migrate`, `celery.contrib.migrate.migrate_tasks`). Experimental in Celery too: keep a backup.
 *
 * The queues are the `-Q` list (`name` or `source:destination` to rename), else the app's
 * (`task_queues` or `task_default_queue`, `-A`). Each is declared on the destination (renamed as
 * Celery's `on_declare_queue` does), then consumed on the source. Each message is republished raw —
 * same body, headers and properties — to the exchange and routing key it was published to (mapped
 * through the `-Q` renames), with publisher confirms on AMQP. With `-a/--ack-messages` the source
 * message is acked once the destination accepted it (a move); without it the source keeps its
 * messages (they return to their queue when cq disconnects: a copy), as in Celery.
 *
 * Stops after `-n` messages, or when no message came for `-t` seconds (default 1), unless `-F`
 * (then until Ctrl-C). `-T a,b` migrates only those task names. A progress bar shows on a terminal
 * (stderr); the last line is `Migrated 50 messages.`.
 */
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { Connection, Exchange, Queue, loads, redact, type Channel } from '@cq/celery';
import { CliError } from '../errors.js';
import { loadApp } from '../load-app.js';
import { parsePositiveInt, parseSeconds } from '../options.js';

/** A received message (kombu `Message`), as the channel hands it to a consumer. */
type Delivery = Parameters<Parameters<Channel['consume']>[1]>[0];

interface MigrateFlags {
  app?: string;
  limit?: string;
  timeout?: string;
  ackMessages?: boolean;
  tasks?: string;
  queues?: string;
  forever?: boolean;
}

const list = (text: string | undefined): string[] => (text ?? '').split(',').map((q) => q.trim()).filter(Boolean);

/** Celery `prepare_queues`: `a:b,c` → `{a: 'b', c: 'c'}`. */
export function prepareQueues(text: string | undefined): Map<string, string> {
  return new Map(list(text).map((q) => {
    const [from = q, to = from] = q.split(':');
    return [from, to] as [string, string];
  }));
}

/** The task name of a message: protocol 2 header `task`, else the protocol 1 body's `task`. */
function taskName(d: Delivery): string | undefined {
  if (typeof d.headers['task'] === 'string') return d.headers['task'];
  try {
    const body = loads(d.body, d.contentType, d.contentEncoding) as { task?: unknown };
    return typeof body?.task === 'string' ? body.task : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The destination queue of `queue` under the renames (Celery `on_declare_queue`): renamed, and its
 * routing key and exchange renamed too where they were named after the queue.
 */
export function renamedQueue(queue: Queue, renames: Map<string, string>): Queue {
  const to = renames.get(queue.name) ?? queue.name;
  if (to === queue.name) return queue;
  const exchange = queue.exchange.name === queue.name
    ? new Exchange(to, { type: queue.exchange.type, durable: queue.exchange.durable, autoDelete: queue.exchange.autoDelete })
    : queue.exchange;
  return new Queue(to, {
    exchange, routingKey: queue.routingKey === queue.name ? to : queue.routingKey,
    durable: queue.durable, exclusive: queue.exclusive, autoDelete: queue.autoDelete, queueArguments: queue.arguments,
  });
}

export interface MigrateOptions {
  queues: Queue[];
  renames: Map<string, string>;
  limit?: number;
  /** Seconds without a message before stopping (ignored with `forever`). */
  timeout: number;
  forever: boolean;
  ackMessages: boolean;
  tasks: Set<string>;
  /** Called with the approximate total once the source queues are declared, then after each message. */
  progress?: { start(total: number): void; tick(): void };
  /** Resolves to stop early (Ctrl-C). */
  interrupted?: Promise<void>;
}

/** Moves or copies messages from `source` to `dest`; resolves with how many were republished. */
export async function migrateTasks(source: Connection, dest: Connection, o: MigrateOptions): Promise<number> {
  const out: Channel = await dest.channel();
  const inp: Channel = await source.channel();
  let total = 0;
  for (const q of o.queues) {
    await renamedQueue(q, o.renames).declare(out);
    total += (await inp.declareQueue(q.toDeclaration())).messageCount;
  }
  o.progress?.start(total);
  let count = 0;
  let failure: unknown = null;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => { stop = resolve; });
  let idle: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    if (o.forever) return;
    clearTimeout(idle);
    idle = setTimeout(stop, o.timeout * 1000);
  };
  let done = false;
  let chain = Promise.resolve();
  const onMessage = (d: Delivery): void => {
    chain = chain.then(async () => {
      if (done) return;
      armIdle();
      if (o.tasks.size > 0 && !o.tasks.has(taskName(d) ?? '')) return;
      const exchange = o.renames.get(d.deliveryInfo.exchange) ?? d.deliveryInfo.exchange;
      const routingKey = o.renames.get(d.deliveryInfo.routing_key) ?? d.deliveryInfo.routing_key;
      try {
        await out.publish({ body: d.body, contentType: d.contentType, contentEncoding: d.contentEncoding, headers: d.headers, properties: d.properties }, exchange, routingKey);
        if (o.ackMessages) await inp.ack(d.deliveryTag);
      } catch (err) {
        failure = err;
        done = true;
        stop();
        return;
      }
      count += 1;
      o.progress?.tick();
      if (o.limit && count >= o.limit) {
        done = true;
        stop();
      }
    });
  };
  armIdle();
  const tags: string[] = [];
  for (const q of o.queues) tags.push(await inp.consume(q.name, onMessage));
  await Promise.race([stopped, o.interrupted ?? stopped]);
  done = true;
  clearTimeout(idle);
  for (const tag of tags) await inp.cancel(tag).catch(() => undefined);
  await chain;
  await inp.close().catch(() => undefined);
  await out.close().catch(() => undefined);
  if (failure) throw new CliError(`migrate: publishing to ${redact(dest.url.href)} failed after ${count} messages: ${(failure as Error).message}`, 1, { cause: failure });
  return count;
}

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('migrate tasks from one broker to another (experimental: make sure you have a backup of the tasks)')
    .argument('<source>', 'broker URL to take the messages from')
    .argument('<destination>', 'broker URL to publish them to')
    .option('-A, --app <module>', 'path of the module exporting the app, whose queues are migrated by default')
    .option('-n, --limit <n>', 'number of tasks to consume')
    .option('-t, --timeout <seconds>', 'timeout in seconds waiting for tasks', '1')
    .option('-a, --ack-messages', 'ack messages from source broker (move instead of copy)')
    .option('-T, --tasks <names>', 'comma separated list of task names to filter on')
    .option('-Q, --queues <names>', 'comma separated list of queues to migrate (source:destination renames one)')
    .option('-F, --forever', 'continually migrate tasks until killed')
    .action(async (sourceUrl: string, destUrl: string, flags: MigrateFlags) => {
      const limit = flags.limit === undefined ? undefined : parsePositiveInt('--limit', flags.limit);
      const timeout = parseSeconds('--timeout', flags.timeout ?? '1');
      const app = await loadApp(flags.app);
      const renames = prepareQueues(flags.queues);
      const queues = renames.size > 0 ? [...renames.keys()].map((n) => app.queue(n)) : app.defaultQueues();
      const source = new Connection(sourceUrl, { transportOptions: app.conf.broker_transport_options, transports: app.transports });
      const dest = new Connection(destUrl, { transportOptions: { ...app.conf.broker_transport_options, confirm_publish: true }, transports: app.transports });
      const bar = new cliProgress.SingleBar({ format: 'Migrating |{bar}| {value}/{total} messages', hideCursor: true }, cliProgress.Presets.shades_classic);
      let sigint: () => void = () => undefined;
      const interrupted = new Promise<void>((resolve) => { sigint = resolve; });
      process.once('SIGINT', sigint);
      let count = 0;
      try {
        count = await migrateTasks(source, dest, {
          queues, renames, timeout, forever: Boolean(flags.forever), ackMessages: Boolean(flags.ackMessages),
          tasks: new Set(list(flags.tasks)), interrupted, ...(limit ? { limit } : {}),
          progress: {
            start: (total) => bar.start(limit ? Math.min(total, limit) : total, 0),
            tick: () => {
              if (bar.getProgress() >= 1) bar.setTotal(bar.getTotal() + 1);
              bar.increment();
            },
          },
        });
      } finally {
        bar.stop();
        process.removeListener('SIGINT', sigint);
        await source.close().catch(() => undefined);
        await dest.close().catch(() => undefined);
        await app.close();
      }
      process.stdout.write(`Migrated ${count} ${count === 1 ? 'message' : 'messages'}.\n`);
    });
}
