/**
 * Dumper: prints events as they arrive, line by line, in the format of Celery's `celery events --dump`
 * (`celery/events/dumper.py`), e.g.
 *
 * ```
 * w1@host [2026-11-29 17:12:14.123456] heartbeat: active=0, clock=3, freq=2.0, ...
 * w1@host [2026-11-29 17:12:15.000100] task succeeded: proj.add(3c74db32-…) args=(2, 3) kwargs={} clock=9, result=5, runtime=0.01
 * ```
 *
 * Task names are remembered from `task-received` / `task-sent` (last 4095 tasks) and repeated on the
 * task's later events. Field values print as Python's `str()` would.
 */
import { pythonRepr } from '@cq/app';
import type { CeleryEvent } from './event.js';

const HUMAN_TYPES: Readonly<Record<string, string>> = {
  'worker-offline': 'shutdown',
  'worker-online': 'started',
  'worker-heartbeat': 'heartbeat',
};

/** `worker-heartbeat` → `heartbeat`, `task-succeeded` → `task succeeded` (Celery `humanize_type`). */
export function humanizeType(type: string): string {
  const lower = type.toLowerCase();
  return HUMAN_TYPES[lower] ?? lower.replaceAll('-', ' ');
}

/** Python `str(datetime.utcfromtimestamp(seconds))`: `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
export function formatUtcTimestamp(seconds: number): string {
  const micros = Math.round(seconds * 1e6);
  const date = new Date(Math.floor(micros / 1000));
  const base = date.toISOString().slice(0, 19).replace('T', ' ');
  const frac = ((micros % 1_000_000) + 1_000_000) % 1_000_000;
  return frac === 0 ? base : `${base}.${String(frac).padStart(6, '0')}`;
}

/** A value as Python's `str()` prints it (strings bare, `None`, `True`, reprs otherwise). */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value ?? null);
}

const TASK_NAMES_LIMIT = 0xfff;

export class Dumper {
  private readonly taskNames = new Map<string, string>();

  /** @param say receives each line, without newline. Default: stdout. */
  constructor(private readonly say: (line: string) => void = (line) => void process.stdout.write(`${line}\n`)) {}

  /** Formats and prints one event (Celery `Dumper.on_event`). */
  onEvent(event: CeleryEvent): void {
    const ev: Record<string, unknown> = { ...event };
    const timestamp = formatUtcTimestamp(Number(take(ev, 'timestamp') ?? 0));
    const type = String(take(ev, 'type')).toLowerCase();
    const hostname = pythonStr(take(ev, 'hostname'));
    if (type.startsWith('task-')) {
      const uuid = String(take(ev, 'uuid'));
      let task: string;
      if (type === 'task-received' || type === 'task-sent') {
        task = `${pythonStr(take(ev, 'name'))}(${uuid}) args=${pythonStr(take(ev, 'args'))} kwargs=${pythonStr(take(ev, 'kwargs'))}`;
        this.rememberTask(uuid, task);
      } else task = this.taskNames.get(uuid) ?? '';
      const fields = formatFields(ev);
      this.say(`${hostname} [${timestamp}] ${humanizeType(type)}${fields ? ':' : ''} ${task} ${fields}`);
      return;
    }
    const fields = formatFields(ev);
    this.say(`${hostname} [${timestamp}] ${humanizeType(type)}${fields ? ':' : ''} ${fields}`);
  }

  private rememberTask(uuid: string, task: string): void {
    this.taskNames.delete(uuid);
    this.taskNames.set(uuid, task);
    if (this.taskNames.size > TASK_NAMES_LIMIT) this.taskNames.delete(this.taskNames.keys().next().value as string);
  }
}

function take(ev: Record<string, unknown>, key: string): unknown {
  const value = ev[key];
  delete ev[key];
  return value;
}

/** `key=value, ...` sorted by key, as Celery prints the remaining fields. */
function formatFields(ev: Record<string, unknown>): string {
  return Object.keys(ev).sort().map((k) => `${k}=${pythonStr(ev[k])}`).join(', ');
}
