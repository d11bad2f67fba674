/** Cleanup for the broker tests: deletes the RabbitMQ exchanges cq declared per `cqt.canvas.` queue. */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

interface AmqpLib {
  connect(url: string): Promise<{ createChannel(): Promise<{ deleteExchange(n: string): Promise<unknown>; close(): Promise<void> }>; close(): Promise<void> }>;
}

/** Deletes exchanges whose names start with `cqt.canvas.` (missing ones are fine). */
export async function deleteAmqpExchanges(names: readonly string[]): Promise<void> {
  const amqplib = createRequire(fileURLToPath(import.meta.resolve('@cq/transport-amqp')))('amqplib') as AmqpLib;
  const conn = await amqplib.connect('amqp://guest:guest@127.0.0.1:5672');
  try {
    for (const name of names) {
      if (!name.startsWith('cqt.canvas.')) continue;
      const ch = await conn.createChannel();
      await ch.deleteExchange(name).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}
