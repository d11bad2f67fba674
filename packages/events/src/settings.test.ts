import { describe, expect, it } from 'vitest';
import { Celery, isKnownSetting } from '@cq/app';
import { EVENT_DEFAULTS, eventSettings } from './settings.js';

describe('eventSettings', () => {
  it('gives the configured values over the defaults (null and undefined mean the default)', () => {
    expect(eventSettings(new Celery('t').conf)).toEqual(EVENT_DEFAULTS);
    expect(eventSettings(new Celery('t', { event_queue_prefix: 'p' }).conf)).toEqual({ ...EVENT_DEFAULTS, event_queue_prefix: 'p' });
  });

  it('owns only setting names the app knows, so none of them is warned about', () => {
    for (const key of Object.keys(EVENT_DEFAULTS)) expect(isKnownSetting(key), key).toBe(true);
  });
});
