/**
 * The key layout of kombu's Redis transport (`kombu/transport/redis.py`), as pure functions:
 * priority buckets (`queue`, `queue\x06\x163`, ...), binding-set names and members, topic binding
 * patterns (Python regular-expression text, as kombu's `key_to_pattern` writes it) and fanout
 * channel names, and cq's keys of messages parked until their ETA. `global_keyprefix` is applied by
 * the caller through {@link KeyLayout.key}.
 *
 * Redis Cluster (`cluster: true`, cq's, not kombu's): every key of a queue carries the hash tag
 * `{<queue>}`, so a queue's lists, its unacked hash and index, and its parked-ETA keys share one slot
 * and one Lua script may touch them all: the lists are `{queue}`, `{queue}\x06\x163`, …; the unacked
 * hash and index, global in kombu, are per queue (`unacked{queue}`, `unacked_index{queue}`); the ETA
 * keys end in `{queue}`. Binding sets and fanout channels keep kombu's names (single-key commands,
 * PUBLISH is cluster-wide). A Python worker cannot read this layout.
 */

/** kombu's default separator: the two bytes ACK (0x06) and SYN (0x16). */
export const DEFAULT_SEP = '\x06\x16';
/** kombu's default `priority_steps`. */
export const DEFAULT_PRIORITY_STEPS: readonly number[] = [0, 3, 6, 9];
/** Prefix of the binding sets: `_kombu.binding.<exchange>`. */
export const BINDING_PREFIX = '_kombu.binding.';
/** Prefix of cq's keys (not kombu's) holding messages parked until their ETA (see `eta.ts`). */
export const ETA_PREFIX = '_cq.eta.';

export interface KeyLayoutOptions {
  /** Prepended to every key and channel name (kombu `global_keyprefix`). Default `''`. */
  prefix?: string;
  /** Separator between queue name and priority step, and inside binding members. Default `\x06\x16`. */
  sep?: string;
  /** Ascending priority steps; the first must be 0. Default `[0, 3, 6, 9]`. */
  steps?: readonly number[];
  /** Hash-tag every key of a queue with `{queue}` (Redis Cluster). Default false: kombu's names. */
  cluster?: boolean;
}

/** Key names for one transport configuration. */
export class KeyLayout {
  readonly prefix: string;
  readonly sep: string;
  readonly steps: readonly number[];
  readonly cluster: boolean;

  constructor(options: KeyLayoutOptions = {}) {
    this.cluster = options.cluster ?? false;
    this.prefix = options.prefix ?? '';
    this.sep = options.sep ?? DEFAULT_SEP;
    this.steps = [...(options.steps ?? DEFAULT_PRIORITY_STEPS)].sort((a, b) => a - b);
  }

  /** A key with `global_keyprefix` applied. */
  key(name: string): string {
    return this.prefix + name;
  }

  /**
   * The step a message priority falls in: clamped to 0..9 (non-integers count as 0), then the
   * largest step not above it (kombu `Channel.priority`).
   */
  step(priority: unknown): number {
    const p = typeof priority === 'number' && Number.isFinite(priority) ? Math.min(9, Math.max(0, Math.trunc(priority))) : 0;
    let chosen = this.steps[0] ?? 0;
    for (const s of this.steps) if (s <= p) chosen = s;
    return chosen;
  }

  /** The (unprefixed) list a message of `priority` is pushed to (kombu `_q_for_pri`). */
  queueFor(queue: string, priority: unknown): string {
    const step = this.step(priority);
    const list = this.tagged(queue);
    return step === 0 ? list : `${list}${this.sep}${step}`;
  }

  /** Every (unprefixed) list of a queue, served-first order: step 0 (bare name) first. */
  priorityKeys(queue: string): string[] {
    const list = this.tagged(queue);
    return this.steps.map((s) => (s === 0 ? list : `${list}${this.sep}${s}`));
  }

  /**
   * The (prefixed) unacked hash and index holding `queue`'s delivered messages: kombu's global
   * `unackedKey`/`unackedIndexKey` as given, or in cluster mode those names followed by `{queue}`.
   */
  unackedKeys(queue: string, unackedKey: string, unackedIndexKey: string): [string, string] {
    return this.cluster ? [`${unackedKey}{${queue}}`, `${unackedIndexKey}{${queue}}`] : [unackedKey, unackedIndexKey];
  }

  /** `{queue}` in cluster mode (the hash tag), else the queue name. */
  private tagged(queue: string): string {
    return this.cluster ? `{${queue}}` : queue;
  }

  /**
   * The (unprefixed) sorted set of `queue`'s messages parked until their ETA (cq's, not kombu's):
   * member the message's `delivery_tag`, score the unix time (seconds) it is due.
   */
  etaIndexKey(queue: string): string {
    return `${ETA_PREFIX}index${this.sep}${this.tagged(queue)}`;
  }

  /**
   * The (unprefixed) hash of `queue`'s parked messages: field the `delivery_tag`, value the priority
   * step digit followed by the envelope as it goes back to its list.
   */
  etaMessagesKey(queue: string): string {
    return `${ETA_PREFIX}messages${this.sep}${this.tagged(queue)}`;
  }

  /** The (unprefixed) binding set of an exchange. */
  bindingKey(exchange: string): string {
    return BINDING_PREFIX + exchange;
  }

  /** A binding-set member: `routing_key sep pattern sep queue`. */
  bindingMember(routingKey: string, pattern: string, queue: string): string {
    return [routingKey, pattern, queue].join(this.sep);
  }

  /** Splits a binding-set member; null when it does not have three parts. */
  parseBindingMember(member: string): { routingKey: string; pattern: string; queue: string } | null {
    const parts = member.split(this.sep);
    if (parts.length !== 3) return null;
    return { routingKey: parts[0]!, pattern: parts[1]!, queue: parts[2]! };
  }
}

/**
 * The Python regular expression kombu stores for a topic binding (`TopicExchange.key_to_pattern`):
 * non-alphanumerics escaped except `.`, `*`, `#`; words joined by `\.`; `*` → `.*?[^\.]`,
 * `#` → `.*?`; anchored `^…$`.
 */
export function topicPattern(routingKey: string): string {
  const escaped = [...routingKey].map((c) => (/[\p{L}\p{N}.#*]/u.test(c) ? c : `\\${c}`)).join('');
  const words = escaped.split('.').map((w) => (w === '*' ? '.*?[^\\.]' : w === '#' ? '.*?' : w));
  return `^${words.join('\\.')}$`;
}
