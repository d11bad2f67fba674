/**
 * Inspecting workers (Celery `celery/app/control.py` `Inspect`): each method broadcasts an inspect
 * command with a reply wanted and merges the replies into `{nodename: reply}`; `null` when no
 * node replied within the timeout.
 *
 * ```ts
 * const replies = await new Control(app).inspect({ timeout: 2 }).active();
 * // { 'w1@host': [{ id, name, args, kwargs, time_start, acknowledged, delivery_info, ... }] }
 * ```
 */
import type { BroadcastOptions, Control, Reply } from './control.js';

export interface InspectOptions {
  /** Node names to ask; default every node. */
  destination?: string[] | null;
  /** Seconds to wait for the next reply. Default 1.0. */
  timeout?: number;
  /** Stop after this many replies. */
  limit?: number | null;
  pattern?: string | null;
  matcher?: 'glob' | 'pcre' | null;
  callback?: (reply: Reply) => void;
}

export class Inspect {
  constructor(readonly control: Control, readonly options: InspectOptions = {}) {}

  /** Sends any inspect command (Celery `Inspect._request`); `{node: reply}` or null when nobody answered. */
  async request(command: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown> | null> {
    const { destination = null, timeout = 1.0, limit = null, pattern = null, matcher = null, callback } = this.options;
    const options: BroadcastOptions = { arguments: args, destination, timeout, limit, pattern, matcher, reply: true };
    if (callback) options.callback = callback;
    const replies = await this.control.broadcast(command, options);
    if (replies.length === 0) return null;
    return Object.assign({}, ...replies) as Record<string, unknown>;
  }

  ping(): Promise<Record<string, unknown> | null> { return this.request('ping'); }
  stats(): Promise<Record<string, unknown> | null> { return this.request('stats'); }
  active(safe: boolean | null = null): Promise<Record<string, unknown> | null> { return this.request('active', { safe }); }
  reserved(): Promise<Record<string, unknown> | null> { return this.request('reserved'); }
  scheduled(): Promise<Record<string, unknown> | null> { return this.request('scheduled'); }
  revoked(): Promise<Record<string, unknown> | null> { return this.request('revoked'); }
  registered(...taskinfoitems: string[]): Promise<Record<string, unknown> | null> { return this.request('registered', { taskinfoitems }); }
  queryTask(...ids: string[]): Promise<Record<string, unknown> | null> { return this.request('query_task', { ids }); }
  conf(withDefaults = false): Promise<Record<string, unknown> | null> { return this.request('conf', { with_defaults: withDefaults }); }
  report(): Promise<Record<string, unknown> | null> { return this.request('report'); }
  clock(): Promise<Record<string, unknown> | null> { return this.request('clock'); }
  activeQueues(): Promise<Record<string, unknown> | null> { return this.request('active_queues'); }
  /** Mingle's handshake: merges `revoked` into the nodes' sets and returns theirs. */
  hello(fromNode: string, revoked: unknown = null): Promise<Record<string, unknown> | null> { return this.request('hello', { from_node: fromNode, revoked }); }
}
