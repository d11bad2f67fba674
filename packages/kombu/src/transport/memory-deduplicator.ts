/**
 * Deduplication records in this process (the memory transport's): a Map per transport name, shared
 * by every `memory://<name>` connection of the process, as its queues are. Expiry by the local clock.
 */
import type { DeduplicationRecord, Deduplicator, ReleaseOutcome } from './deduplication.js';

interface Entry extends DeduplicationRecord {
  /** ms since the epoch. */
  expiresAt: number;
}

/** A {@link Deduplicator} over a Map: each call runs to completion in one tick, so it is atomic here. */
export class MemoryDeduplicator implements Deduplicator {
  private readonly entries = new Map<string, Entry>();

  private live(key: string): Entry | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt > Date.now()) return entry;
    this.entries.delete(key);
    return null;
  }

  async claim(key: string, record: DeduplicationRecord, ttlMs: number, supersede: boolean): Promise<DeduplicationRecord | null> {
    const expiresAt = Date.now() + Math.max(1, Math.ceil(ttlMs));
    const held = this.live(key);
    if (!held) {
      this.entries.set(key, { taskId: record.taskId, stamp: record.stamp, expiresAt });
      return null;
    }
    if (supersede) Object.assign(held, { stamp: record.stamp, expiresAt });
    return { taskId: held.taskId, stamp: held.stamp };
  }

  async release(key: string, taskId: string, stamp?: string): Promise<ReleaseOutcome> {
    const held = this.live(key);
    if (!held || held.taskId !== taskId) return 'absent';
    if (stamp !== undefined && held.stamp !== stamp) return 'superseded';
    this.entries.delete(key);
    return 'released';
  }

  async get(key: string): Promise<DeduplicationRecord | null> {
    const held = this.live(key);
    return held ? { taskId: held.taskId, stamp: held.stamp } : null;
  }

  async remove(key: string): Promise<boolean> {
    const held = this.live(key);
    this.entries.delete(key);
    return held !== null;
  }
}

const byName = new Map<string, MemoryDeduplicator>();

/** The deduplicator shared by the memory transports named `name` in this process. */
export function memoryDeduplicator(name: string): MemoryDeduplicator {
  let found = byName.get(name);
  if (!found) byName.set(name, (found = new MemoryDeduplicator()));
  return found;
}
