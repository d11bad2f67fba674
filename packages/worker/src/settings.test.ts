import { describe, expect, it } from 'vitest';
import { Celery, isKnownSetting } from '@cq/app';
import { WORKER_DEFAULTS, workerSettings } from './settings.js';

describe('workerSettings', () => {
  it('gives the configured values over the defaults (null and undefined mean the default)', () => {
    expect(workerSettings(new Celery('t').conf)).toEqual(WORKER_DEFAULTS);
    expect(workerSettings(new Celery('t', { worker_concurrency: 3, worker_prefetch_multiplier: 0 }).conf)).toEqual({ ...WORKER_DEFAULTS, worker_concurrency: 3, worker_prefetch_multiplier: 0 });
  });

  it('owns only setting names the app knows, so none of them is warned about', () => {
    for (const key of Object.keys(WORKER_DEFAULTS)) expect(isKnownSetting(key), key).toBe(true);
  });
});
