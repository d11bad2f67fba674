// TEMP JS twin of test/fixtures/eta-park-app.ts for measuring the built CLI
import { Redis } from 'ioredis';
import { Celery } from '@cq/app';
import { redisTransport } from '@cq/transport-redis';
import { redisBackend } from '@cq/backend-redis';
const ETA_REDIS = '' + (process.env['H_URL'] ?? 'redis://127.0.0.1:6379/8') + '';
export const app = new Celery('etapark', {
  result_backend: ETA_REDIS, task_ignore_result: true,
  broker_transport_options: JSON.parse(process.env['CQ_ETA_TRANSPORT_OPTIONS'] ?? '{}'),
}, { plugins: [redisTransport(), redisBackend()] });
let store = null;
app.task('etapark.stamp', async (key, n) => { const at = Date.now(); store ??= new Redis(process.env['H_URL'] ?? 'redis://127.0.0.1:6379/8'); await store.rpush(key, `${n}:${at}`); });
export default app;
