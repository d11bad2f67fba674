/** Shared by the canvas broker tests: reading what a canvas sent, as a worker would decode it. */
import { decodeTaskMessage, type Celery, type TaskRequestFields } from '@cq/app';
import { loads } from '@cq/kombu';

/** Takes every message in `queue` (no ack) and decodes it as the worker would, in order. */
export async function drainTasks(app: Celery, queue: string): Promise<TaskRequestFields[]> {
  const conn = app.connection();
  try {
    const ch = await conn.channel();
    const out: TaskRequestFields[] = [];
    for (let d = await ch.get(queue, { noAck: true }); d; d = await ch.get(queue, { noAck: true })) {
      out.push(decodeTaskMessage(d.headers, d.properties, loads(d.body, d.contentType, d.contentEncoding)));
    }
    return out;
  } finally {
    await conn.close();
  }
}
