import { describe, expect, it } from 'vitest';
import { Celery, isKnownSetting } from '@cq/app';
import { BEAT_DEFAULTS, beatSettings } from './settings.js';

describe('beatSettings', () => {
  it('gives the configured values over the defaults (null and undefined mean the default)', () => {
    expect(beatSettings(new Celery('t').conf)).toEqual(BEAT_DEFAULTS);
    expect(beatSettings(new Celery('t', { beat_max_loop_interval: 5, beat_lock_key: null }).conf)).toEqual({ ...BEAT_DEFAULTS, beat_max_loop_interval: 5 });
  });

  it('owns only setting names the app knows, so none of them is warned about', () => {
    for (const key of Object.keys(BEAT_DEFAULTS)) expect(isKnownSetting(key), key).toBe(true);
  });
});
