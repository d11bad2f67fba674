/**
 * `cq list bindings`: the bindings of the app's queues (Celery `celery list bindings`). The app's
 * queues (`task_queues`, else `task_default_queue`) are declared first, as Celery's
 * `TaskConsumer(conn).declare()` does, then the broker is asked:
 * - virtual transports (Redis, SQLite): every binding stored for the exchanges of those queues
 *   (on Redis kombu's `_kombu.binding.<exchange>` sets, so bindings made by other processes, Python
 *   ones included, show too), like kombu's `Channel.list_bindings`;
 * - AMQP: the bindings the app just declared, which the broker accepted (Celery asks the RabbitMQ
 *   management plugin instead; cq does not need it).
 * Printed as Celery prints it: `Queue`, `Exchange`, `Routing Key` columns 28 wide.
 */
import { Command } from 'commander';
import type { Queue, Transport } from '@cq/celery';
import { loadApp } from '../load-app.js';
import { applyAppFlags, withAppFlags, type AppFlags } from '../options.js';

export interface BindingRow {
  queue: string;
  exchange: string;
  routingKey: string;
}

interface StoreLike {
  bindings(exchange: string): Promise<Array<{ queue: string; routingKey: string }>> | Array<{ queue: string; routingKey: string }>;
}

/** The binding store of a virtual transport, or null for brokers that keep bindings themselves (AMQP). */
function storeOf(transport: Transport): StoreLike | null {
  const store = (transport as Transport & { exchangeStore?: StoreLike }).exchangeStore;
  return store && typeof store.bindings === 'function' ? store : null;
}

/** The bindings `queue` declares: its `bindings`, else its exchange and routing key (none for the default exchange). */
function declaredBindings(queue: Queue): BindingRow[] {
  if (queue.bindings.length > 0) return queue.bindings.map((b) => ({ queue: queue.name, exchange: b.exchange.name, routingKey: b.routingKey }));
  return queue.exchange.name === '' ? [] : [{ queue: queue.name, exchange: queue.exchange.name, routingKey: queue.routingKey }];
}

/** Declares `queues` on the broker and lists the bindings it knows for them. */
export async function listBindings(transport: Transport, declare: (q: Queue) => Promise<void>, queues: Queue[]): Promise<BindingRow[]> {
  for (const q of queues) await declare(q);
  const declared = queues.flatMap(declaredBindings);
  const store = storeOf(transport);
  if (!store) return declared;
  const rows: BindingRow[] = [];
  for (const exchange of [...new Set(declared.map((b) => b.exchange))]) {
    for (const b of await store.bindings(exchange)) rows.push({ queue: b.queue, exchange, routingKey: b.routingKey });
  }
  return rows;
}

const fmt = (q: string, e: string, r: string): string => `${q.padEnd(28)} ${e.padEnd(28)} ${r}\n`;

function bindingsCommand(): Command {
  return withAppFlags(new Command('bindings').description('inspect queue bindings'))
    .option('--json', 'print [{queue, exchange, routingKey}] as JSON')
    .action(async (flags: AppFlags & { json?: boolean }) => {
      const app = applyAppFlags(await loadApp(flags.app), flags);
      const conn = app.connection();
      try {
        const channel = await conn.channel();
        const rows = await listBindings(conn.transport, (q) => q.declare(channel), app.defaultQueues());
        await channel.close().catch(() => undefined);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(rows)}\n`);
          return;
        }
        let out = fmt('Queue', 'Exchange', 'Routing Key') + fmt('-'.repeat(16), '-'.repeat(16), '-'.repeat(16));
        for (const r of rows) out += fmt(r.queue, r.exchange, r.routingKey);
        process.stdout.write(out);
      } finally {
        await conn.close();
        await app.close();
      }
    });
}

export function listCommand(): Command {
  return new Command('list').description('get info from the broker (bindings)').addCommand(bindingsCommand());
}
