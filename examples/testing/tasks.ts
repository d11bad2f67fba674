/**
 * A shop's tasks, as an app module you would deploy (`cq worker -A examples/testing/tasks.ts`):
 * broker and results on Redis (`REDIS_URL`, default `redis://localhost:6379/0`). Its test,
 * `tasks.test.ts`, runs them on an in-process worker over the memory broker, with no Redis at all.
 */
import { Celery } from '@cq/celery';

const redisUrl = process.env.REDIS_URL ?? 'redis://localhost:6379/0';

export const app = new Celery('shop', { broker_url: redisUrl, result_backend: redisUrl, task_default_queue: 'shop' });

export interface Line {
  sku: string;
  qty: number;
  /** Unit price in cents. */
  price: number;
}

/** Stock on hand by SKU (a database in a real shop). */
export const stock = new Map<string, number>([['apple', 10], ['pear', 2]]);

/** Thrown by `reserve` when there is not enough stock; it reaches the caller by its name and message. */
export class OutOfStock extends Error {
  override name = 'OutOfStock';
}

/** Total of a basket in cents, 10 % off from 10 000 cents up. */
export const quote = app.task('shop.quote', (lines: Line[]) => {
  const total = lines.reduce((sum, l) => sum + l.qty * l.price, 0);
  return total >= 10_000 ? Math.round(total * 0.9) : total;
});

/** Takes `qty` of `sku` from the stock; returns what is left, or throws OutOfStock. */
export const reserve = app.task('shop.reserve', (sku: string, qty: number) => {
  const left = (stock.get(sku) ?? 0) - qty;
  if (left < 0) throw new OutOfStock(`${sku}: ${qty} asked, ${stock.get(sku) ?? 0} in stock`);
  stock.set(sku, left);
  return left;
});
