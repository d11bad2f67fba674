import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LamportClock } from '@cq/kombu';
import { StateDbError } from './errors.js';
import { RevokedSet } from './revoked.js';
import { StateDb } from './statedb.js';

describe('RevokedSet', () => {
  it('keeps at most maxlen ids, dropping the oldest, and expires old ones', () => {
    let now = 1000;
    const s = new RevokedSet(2, 10, () => now);
    s.add(['a']);
    now += 1;
    s.add(['b']);
    now += 1;
    s.add(['c']);
    expect([...s]).toEqual(['b', 'c']);
    now += 20;
    expect(s.has('c')).toBe(false);
    expect(s.size).toBe(0);
  });

  it("exchanges Celery's LimitedSet dict shape and merges it", () => {
    const s = new RevokedSet(100, 0, () => 5);
    s.add(['x']);
    expect(s.toJSON()).toEqual({ x: [5, 'x'] });
    s.merge({ y: [3.5, 'y'], z: 4, bad: 'nope' });
    expect(new Set(s)).toEqual(new Set(['x', 'y', 'z']));
    s.merge(['w']);
    expect(s.has('w')).toBe(true);
  });
});

describe('StateDb', () => {
  it('persists revoked ids and the clock across instances; refuses a corrupt file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cqt-ctl-state-'));
    try {
      const file = path.join(dir, 'sub', 'worker.state');
      const a = new StateDb(file, new RevokedSet(), new LamportClock(41));
      a.open();
      const revoked = new RevokedSet();
      const db = new StateDb(file, revoked, new LamportClock(41));
      db.open();
      revoked.add(['t1', 't2']);
      db.close();
      expect(JSON.parse(readFileSync(file, 'utf8')).clock).toBe(41);
      const again = new RevokedSet();
      const clock = new LamportClock();
      new StateDb(file, again, clock).open();
      expect([...again].sort()).toEqual(['t1', 't2']);
      expect(clock.value).toBe(42);
      writeFileSync(file, '\x80shelve');
      expect(() => new StateDb(file, new RevokedSet(), new LamportClock()).open()).toThrow(StateDbError);
      a.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
