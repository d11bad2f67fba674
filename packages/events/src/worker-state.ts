/**
 * One worker as the cluster state sees it (Celery `celery/events/state.py` `Worker`): the fields of its
 * last `worker-*` event and the arrival times of its last heartbeats. It is `alive` while
 * `now < last heartbeat + freq × 2` (`HEARTBEAT_EXPIRE_WINDOW` = 200 %).
 */
import type { CeleryEvent } from './event.js';
import { nowSeconds } from './event.js';

/** Percent of `freq` a worker may stay silent before it counts as offline (Celery `HEARTBEAT_EXPIRE_WINDOW`). */
export const HEARTBEAT_EXPIRE_WINDOW = 200;

/** When a heartbeat received at `timestamp` (s) with interval `freq` (s) expires (Celery `heartbeat_expires`). */
export function heartbeatExpires(timestamp: number, freq = 60, expireWindow = HEARTBEAT_EXPIRE_WINDOW): number {
  return timestamp + freq * (expireWindow / 100);
}

export class WorkerState {
  /** Heartbeat arrival times kept (Celery `heartbeat_max`). */
  static heartbeatMax = 4;
  pid: number | null = null;
  /** Heartbeat interval in seconds; 60 until the worker says otherwise. */
  freq = 60;
  /** Local arrival times (s) of the last heartbeats, oldest first. */
  readonly heartbeats: number[] = [];
  clock = 0;
  active: number | null = null;
  processed: number | null = null;
  loadavg: number[] | null = null;
  sw_ident: string | null = null;
  sw_ver: string | null = null;
  sw_sys: string | null = null;

  constructor(readonly hostname: string) {}

  /**
   * Applies a worker event (`online`, `heartbeat`, `offline`) or a task event's arrival (`type` null):
   * copies the fields, then clears the heartbeats (offline) or records `localReceived`.
   */
  event(type: string | null, timestamp: number | undefined, localReceived: number | undefined, fields?: CeleryEvent): void {
    if (fields) {
      for (const key of ['pid', 'freq', 'clock', 'active', 'processed', 'loadavg', 'sw_ident', 'sw_ver', 'sw_sys'] as const) {
        if (fields[key] !== undefined) (this as Record<string, unknown>)[key] = fields[key];
      }
    }
    if (type === 'offline') {
      this.heartbeats.length = 0;
      return;
    }
    if (!localReceived || !timestamp) return;
    const hb = this.heartbeats;
    if (hb.length > WorkerState.heartbeatMax - 1) hb.shift();
    if (hb.length > 0 && localReceived > hb[hb.length - 1]!) hb.push(localReceived);
    else {
      const at = hb.findIndex((t) => t > localReceived);
      hb.splice(at === -1 ? hb.length : at, 0, localReceived);
    }
  }

  /** When the last heartbeat expires (s); null without heartbeats. */
  get heartbeatExpires(): number | null {
    const last = this.heartbeats[this.heartbeats.length - 1];
    return last === undefined ? null : heartbeatExpires(last, this.freq);
  }

  /** Whether the worker sent a heartbeat within the expire window, as of `now` (s). */
  alive(now: number = nowSeconds()): boolean {
    const expires = this.heartbeatExpires;
    return expires !== null && now < expires;
  }

  /** `ONLINE` or `OFFLINE`. */
  statusString(now?: number): 'ONLINE' | 'OFFLINE' {
    return this.alive(now) ? 'ONLINE' : 'OFFLINE';
  }

  /** `<hostname>.<pid>` (Celery `Worker.id`). */
  get id(): string {
    return `${this.hostname}.${this.pid}`;
  }
}
