import { describe, expect, it } from 'vitest';
import { Celery, isKnownSetting } from '@cq/app';
import { CONTROL_DEFAULTS, controlSettings } from './settings.js';

describe('controlSettings', () => {
  it('gives the configured values over the defaults (null and undefined mean the default)', () => {
    expect(controlSettings(new Celery('t').conf)).toEqual(CONTROL_DEFAULTS);
    expect(controlSettings(new Celery('t', { control_queue_ttl: 30 }).conf)).toEqual({ control_exchange: 'celery', control_queue_ttl: 30, control_queue_expires: 10 });
  });

  it('owns only setting names the app knows, so none of them is warned about', () => {
    for (const key of Object.keys(CONTROL_DEFAULTS)) expect(isKnownSetting(key), key).toBe(true);
  });
});
