/**
 * Queue operations on `kombu_message`, as prepared statements over one connection. Taking a message
 * leases it (`visible = 0`, `lease_until`, `lease_owner`, `lease_pid`); ack deletes the row; restore
 * and the sweeps make it visible again, marked redelivered, at its old place in the queue. A task
 * parked until its ETA (at put, or a taken one by `park`) waits with `visible = 0` and
 * `visible_after`, and `take` makes it visible when due.
 *
 * Lease owners are `<hostname>/<uuid>`, one per transport instance. The dead-process sweep only judges
 * leases of this host, since a pid means nothing on another machine.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { markRedelivered, parkUntil, parseEnvelope, type Envelope, type EtaParking, type InvalidMessageReport } from '@cq/kombu';
import { isBusy } from './errors.js';

/** An ack waiting for the end of its turn. */
interface PendingAck {
  id: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** A leased row: its id is the receipt the channel hands back to ack or restore it. */
export interface LeasedRow {
  id: number;
  envelope: Envelope;
}

interface Row {
  id: number;
  payload: string;
  lease_owner: string;
}

export interface MessageStoreOptions {
  /** Seconds a lease lasts before any process may restore the row. */
  visibilityTimeout: number;
  /** Least seconds between two sweeps made by `take`. */
  restoreInterval: number;
  /** Told of each row `take` sets aside because it is not an envelope. Default: a process warning. */
  onInvalid?: (report: InvalidMessageReport) => void;
  /** Broker-side ETA (`store_eta`, `eta_horizon`); default: off. */
  parking?: EtaParking;
}

const QUEUE_ID = '(SELECT id FROM kombu_queue WHERE name = ?)';
const LEASED = 'id, payload, lease_owner FROM kombu_message WHERE lease_owner IS NOT NULL AND visible = 0';

function prepare(db: Database.Database) {
  return {
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    newQueue: db.prepare<[string]>('INSERT OR IGNORE INTO kombu_queue (name) VALUES (?)'),
    insert: db.prepare<[string, string, number, string]>(`INSERT INTO kombu_message (visible, timestamp, payload, version, priority, queue_id) VALUES (1, ?, ?, 1, ?, ${QUEUE_ID})`),
    insertDeferred: db.prepare<[string, string, number, number, string]>(`INSERT INTO kombu_message (visible, timestamp, payload, version, priority, visible_after, queue_id) VALUES (0, ?, ?, 1, ?, ?, ${QUEUE_ID})`),
    deferTaken: db.prepare<[number, number, string]>('UPDATE kombu_message SET visible = 0, visible_after = ?, lease_until = NULL, lease_owner = NULL, lease_pid = NULL WHERE id = ? AND lease_owner = ?'),
    nextDue: db.prepare<[string], number | null>(`SELECT MIN(visible_after) FROM kombu_message WHERE queue_id = ${QUEUE_ID} AND visible_after IS NOT NULL`).pluck(),
    promoteDue: db.prepare<[string, number]>(`UPDATE kombu_message SET visible = 1, visible_after = NULL WHERE queue_id = ${QUEUE_ID} AND visible_after IS NOT NULL AND visible_after <= ?`),
    hasVisible: db.prepare<[string], number>(`SELECT 1 FROM kombu_message WHERE queue_id = ${QUEUE_ID} AND visible = 1 LIMIT 1`).pluck(),
    head: db.prepare<[string, number], Row>(`SELECT id, payload FROM kombu_message WHERE queue_id = ${QUEUE_ID} AND visible = 1 ORDER BY priority DESC, id LIMIT ?`),
    lease: db.prepare<[number, string, number, number]>('UPDATE kombu_message SET visible = 0, lease_until = ?, lease_owner = ?, lease_pid = ? WHERE id = ?'),
    drop: db.prepare<[number, string]>('DELETE FROM kombu_message WHERE id = ? AND lease_owner = ?'),
    unlease: db.prepare<[string, number, string]>('UPDATE kombu_message SET visible = 1, payload = ?, lease_until = NULL, lease_owner = NULL, lease_pid = NULL WHERE id = ? AND lease_owner = ?'),
    park: db.prepare<[number]>('UPDATE kombu_message SET lease_until = NULL, lease_owner = NULL, lease_pid = NULL WHERE id = ?'),
    purge: db.prepare<[string]>(`DELETE FROM kombu_message WHERE queue_id = ${QUEUE_ID} AND (visible = 1 OR visible_after IS NOT NULL)`),
    size: db.prepare<[string], number>(`SELECT COUNT(*) FROM kombu_message WHERE queue_id = ${QUEUE_ID} AND visible = 1`).pluck(),
    deleteMessages: db.prepare<[string]>(`DELETE FROM kombu_message WHERE queue_id = ${QUEUE_ID}`),
    deleteQueue: db.prepare<[string]>('DELETE FROM kombu_queue WHERE name = ?'),
    owned: db.prepare<[string], Row>(`SELECT ${LEASED} AND lease_owner = ?`),
    expired: db.prepare<[number], Row>(`SELECT ${LEASED} AND lease_until < ?`),
    byPid: db.prepare<[number, number, string], Row>(`SELECT ${LEASED} AND lease_pid = ? AND substr(lease_owner, 1, ?) = ?`),
    anyExpired: db.prepare<[number], number>('SELECT 1 FROM kombu_message WHERE lease_owner IS NOT NULL AND lease_until < ? LIMIT 1').pluck(),
    pids: db.prepare<[number, string], number>('SELECT DISTINCT lease_pid FROM kombu_message WHERE lease_owner IS NOT NULL AND lease_pid IS NOT NULL AND substr(lease_owner, 1, ?) = ?').pluck(),
  };
}

/** True unless signalling `pid` fails with ESRCH (EPERM: alive, another user's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** SQLAlchemy's SQLite DATETIME text, in UTC: `2024-05-01 12:00:00.123000`. */
function timestamp(): string {
  return new Date().toISOString().replace('T', ' ').replace('Z', '000');
}

function redelivered(payload: string): string {
  try {
    return JSON.stringify(markRedelivered(JSON.parse(payload) as Envelope));
  } catch {
    return payload; // not ours to repair: `take` parks it
  }
}

export class MessageStore {
  /** This transport's lease owner id, `<hostname>/<uuid>`. */
  readonly owner: string;
  private readonly host = `${hostname()}/`;
  private readonly sql: ReturnType<typeof prepare>;
  /** Bumped by every local commit that makes messages visible (`data_version` ignores our own). */
  private localWrites = 0;
  /** Queue → the version token at which it was last seen empty. */
  private readonly emptyAt = new Map<string, string>();
  /** Queue → when its first parked row is due (unix s; Infinity: none), as of a version token. */
  private readonly dueAt = new Map<string, { token: string; at: number }>();
  private lastSweep = 0;
  private readonly takeTx: (queue: string, max: number) => Row[];
  private readonly restoreTx: (select: () => Row[]) => number;
  private readonly dropTx: (ids: readonly number[]) => void;
  /** Acks of this turn, deleted together in one transaction at its end (see {@link ack}). */
  private pendingAcks: PendingAck[] = [];
  /** When the last batch of acks was written (performance.now(), ms). */
  private lastAckFlush = -Infinity;

  constructor(private readonly db: Database.Database, private readonly options: MessageStoreOptions) {
    this.owner = `${this.host}${randomUUID()}`;
    this.sql = prepare(db);
    const leaseUntil = () => Date.now() / 1000 + this.options.visibilityTimeout;
    this.takeTx = (queue, max) => db.transaction(() => {
      const rows = this.sql.head.all(queue, max);
      const until = leaseUntil();
      for (const row of rows) this.sql.lease.run(until, this.owner, process.pid, row.id);
      return rows;
    }).immediate();
    this.restoreTx = (select) => db.transaction(() => {
      let n = 0;
      for (const row of select()) n += this.sql.unlease.run(redelivered(row.payload), row.id, row.lease_owner).changes;
      return n;
    }).immediate();
    const drop = db.transaction((ids: readonly number[]) => {
      for (const id of ids) this.sql.drop.run(id, this.owner);
    });
    this.dropTx = (ids) => drop.immediate(ids);
  }

  newQueue(queue: string): void {
    this.sql.newQueue.run(queue);
  }

  /**
   * Appends a message; `priority` is clamped to 0..255 (non-numbers count as 0). A task whose `eta`
   * is past the parking horizon is stored parked (`visible = 0`, `visible_after` = its ETA).
   */
  put(queue: string, envelope: Envelope): void {
    const p = Number(envelope.properties.priority);
    const priority = Number.isFinite(p) ? Math.min(255, Math.max(0, Math.trunc(p))) : 0;
    const due = this.options.parking ? parkUntil(this.options.parking, envelope.headers) : null;
    this.db.transaction(() => {
      this.sql.newQueue.run(queue);
      if (due === null) this.sql.insert.run(timestamp(), JSON.stringify(envelope), priority, queue);
      else this.sql.insertDeferred.run(timestamp(), JSON.stringify(envelope), priority, due / 1000, queue);
    }).immediate();
    this.localWrites++;
  }

  /**
   * Parks a message this owner holds until `dueAt` (ms since the epoch): in one statement it leaves
   * the lease (a settle, as ack) and becomes invisible until due, its payload unchanged. A row whose
   * lease went to someone else is left alone.
   */
  park(id: number, dueAt: number): void {
    if (this.sql.deferTaken.run(dueAt / 1000, id, this.owner).changes > 0) this.localWrites++;
  }

  /**
   * Leases up to `max` visible messages, highest priority first, FIFO within a priority. Sweeps first
   * when due. Returns [] without querying while the queue was empty and no connection has committed
   * since (`PRAGMA data_version` plus our own write count).
   */
  take(queue: string, max: number): LeasedRow[] {
    if (Date.now() - this.lastSweep >= this.options.restoreInterval * 1000) this.sweep();
    this.promoteDue(queue);
    const token = this.versionToken();
    if (this.emptyAt.get(queue) === token) return [];
    const rows = this.sql.hasVisible.get(queue) ? this.takeTx(queue, max) : [];
    if (rows.length === 0) {
      this.emptyAt.set(queue, token);
      return [];
    }
    this.emptyAt.delete(queue);
    const taken: LeasedRow[] = [];
    for (const row of rows) {
      try {
        taken.push({ id: row.id, envelope: parseEnvelope(row.payload) });
      } catch (err) {
        // Left in the table for inspection, as a consumed row kombu would leave.
        this.sql.park.run(row.id);
        const report: InvalidMessageReport = { queue, reason: `row ${row.id}: ${(err as Error).message}`, code: 'CQ_SQLITE_BAD_PAYLOAD', outcome: 'set aside' };
        if (this.options.onInvalid) this.options.onInvalid(report);
        else process.emitWarning(`sqlite broker: message ${row.id} in queue ${queue} is not a JSON envelope and was set aside: ${String(err)}`, { code: 'CQ_SQLITE_BAD_PAYLOAD' });
      }
    }
    return taken;
  }

  /** Changes whenever any connection committed, ours included. */
  private versionToken(): string {
    return `${this.sql.dataVersion.get()}.${this.localWrites}`;
  }

  /**
   * Makes the parked rows of `queue` that are due visible, at their old place in the queue. The first
   * due time is read again (an indexed MIN) only after a commit, so an idle poll adds no query.
   */
  private promoteDue(queue: string): void {
    const token = this.versionToken();
    let next = this.dueAt.get(queue);
    if (next?.token !== token) this.dueAt.set(queue, (next = { token, at: this.sql.nextDue.get(queue) ?? Infinity }));
    const now = Date.now() / 1000;
    if (next.at > now) return;
    if (this.sql.promoteDue.run(queue, now).changes > 0) this.localWrites++;
    this.dueAt.delete(queue);
  }

  /**
   * Deletes a message this owner holds (no-op when its lease went to someone else). Acks of one
   * event-loop turn are deleted together at its end, in one transaction: one commit for a batch of
   * finished tasks (when idle, only the acks of the current microtasks, so a lone ack is not delayed);
   * the promise settles when that commit does. Until then the row stays leased, so a
   * crash in between redelivers it (as any unacked message); a database locked past the busy
   * timeout delays the batch, it does not drop it.
   */
  ack(id: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.pendingAcks.push({ id, resolve, reject }) !== 1) return;
      // Busy (the last batch was under 1 ms ago): gather the whole turn. Idle: this turn's microtasks only,
      // so a lone ack (one task at a time) does not wait a turn.
      if (performance.now() - this.lastAckFlush < 1) setImmediate(() => this.flushAcks());
      else queueMicrotask(() => this.flushAcks());
    });
  }

  /** Deletes the acks still pending now (at the end of a turn, and before {@link releaseAll}). */
  flushAcks(): void {
    const acks = this.pendingAcks;
    if (acks.length === 0) return;
    this.pendingAcks = [];
    try {
      this.dropTx(acks.map((a) => a.id));
    } catch (err) {
      if (isBusy(err) && this.db.open) {
        this.pendingAcks.unshift(...acks);
        setTimeout(() => this.flushAcks(), 50).unref();
        return;
      }
      // The rows stay leased and come back when the lease runs out: redelivered, never lost.
      for (const a of acks) a.reject(err);
      return;
    }
    this.lastAckFlush = performance.now();
    for (const a of acks) a.resolve();
  }

  /** Makes a message this owner holds visible again, marked redelivered. */
  restore(id: number, envelope: Envelope): void {
    if (this.sql.unlease.run(JSON.stringify(markRedelivered(envelope)), id, this.owner).changes > 0) this.localWrites++;
  }

  purge(queue: string): number {
    return this.sql.purge.run(queue).changes;
  }

  size(queue: string): number {
    return this.sql.size.get(queue) ?? 0;
  }

  /** Deletes the queue row and every message of it, leased ones included. */
  delete(queue: string): void {
    this.db.transaction(() => {
      this.sql.deleteMessages.run(queue);
      this.sql.deleteQueue.run(queue);
    }).immediate();
    this.emptyAt.delete(queue);
    this.dueAt.delete(queue);
  }

  /**
   * Restores leases that expired, and leases of processes of this host that no longer exist.
   * Returns how many messages came back.
   */
  sweep(): number {
    this.lastSweep = Date.now();
    const now = Date.now() / 1000;
    const dead = this.sql.pids.all(this.host.length, this.host).filter((pid) => pid !== process.pid && !isProcessAlive(pid));
    if (dead.length === 0 && !this.sql.anyExpired.get(now)) return 0;
    return this.restoreRows(() => {
      const rows = this.sql.expired.all(now);
      for (const pid of dead) rows.push(...this.sql.byPid.all(pid, this.host.length, this.host));
      return rows;
    });
  }

  /** Restores every message still leased by this owner (at close). */
  releaseAll(): number {
    this.flushAcks();
    return this.restoreRows(() => this.sql.owned.all(this.owner));
  }

  /** Runs `select` and restores its rows in one write transaction. */
  private restoreRows(select: () => Row[]): number {
    const n = this.restoreTx(select);
    if (n > 0) this.localWrites++;
    return n;
  }
}
