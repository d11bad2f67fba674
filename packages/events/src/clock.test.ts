import { describe, expect, it } from 'vitest';
import { Celery } from '@cq/app';
import { LamportClock, appClock } from './clock.js';

describe('LamportClock', () => {
  it('forwards by one per local event', () => {
    const clock = new LamportClock();
    expect(clock.forward()).toBe(1);
    expect(clock.forward()).toBe(2);
    expect(clock.value).toBe(2);
  });

  it('adjusts to max(local, remote) + 1', () => {
    const clock = new LamportClock(5);
    expect(clock.adjust(10)).toBe(11);
    expect(clock.adjust(3)).toBe(12);
  });

  it('is one per app', () => {
    const a = new Celery('a');
    expect(appClock(a)).toBe(appClock(a));
    expect(appClock(a)).not.toBe(appClock(new Celery('b')));
  });
});
