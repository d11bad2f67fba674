/**
 * The cq side of the message-signing interop test: an app that signs and verifies (`setupSecurity()`
 * with the key, certificate and store given in CQ_SIGNING_KEY / CQ_SIGNING_CERT / CQ_SIGNING_STORE).
 * `ts.signed.note` appends `<value>` to the Redis list `key` (db CQ_INTEROP_COUNTER_DB, default 15).
 */
import { Celery } from '@cq/celery';

const env = process.env;
export const app = new Celery('signed', {
  security_key: env['CQ_SIGNING_KEY'] ?? null,
  security_certificate: env['CQ_SIGNING_CERT'] ?? null,
  security_cert_store: env['CQ_SIGNING_STORE'] ?? null,
});
app.setupSecurity();

let store: import('ioredis').Redis | null = null;
app.task('ts.signed.note', async (key: string, value: string) => {
  if (!store) {
    const { Redis } = await import('ioredis');
    store = new Redis({ host: '127.0.0.1', port: 6379, db: Number(env['CQ_INTEROP_COUNTER_DB'] ?? '15') });
  }
  await store.rpush(key, value);
  return `noted ${value}`;
});

export default app;
