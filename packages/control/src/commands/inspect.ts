/**
 * Built-in inspect commands (Celery `celery/worker/control.py`, `@inspect_command`): read-only,
 * always replied to. Reply shapes follow Celery's (protocol doc §9.4).
 */
import { formatPythonIsoDate, redact } from '@cq/kombu';
import { DEFAULTS, filterHiddenSettings } from '@cq/app';
import type { ControlCommandInit } from '../registry.js';
import type { ControlState } from '../state.js';

const ok = (value: unknown): { ok: unknown } => ({ ok: value });
/** Celery `DEFAULT_TASK_INFO_ITEMS`. */
const TASK_INFO_ITEMS = ['exchange', 'routing_key', 'rate_limit'];

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export const INSPECT_COMMANDS: ControlCommandInit[] = [
  { name: 'ping', type: 'inspect', defaultTimeout: 0.2, help: 'Ping worker(s).', handler: () => ok('pong') },
  { name: 'stats', type: 'inspect', help: 'Request worker statistics/information.', handler: (s) => s.stats() },
  { name: 'active', type: 'inspect', args: [['safe', 'bool']], help: 'List of tasks currently being executed.', handler: (s, a) => s.active(a['safe'] === true) },
  { name: 'reserved', type: 'inspect', help: 'List of currently reserved tasks, not including scheduled/active.', handler: (s) => s.reserved() },
  { name: 'scheduled', type: 'inspect', help: 'List of currently scheduled ETA/countdown tasks.', handler: (s) => s.scheduled() },
  { name: 'revoked', type: 'inspect', help: 'List of revoked task-ids.', handler: (s) => [...s.revoked] },
  {
    name: 'registered', type: 'inspect', variadic: 'taskinfoitems', signature: '[attr1 [attr2 [... [attrN]]]]',
    help: 'List of registered tasks.', handler: registered,
  },
  {
    name: 'query_task', type: 'inspect', variadic: 'ids', signature: '[id1 [id2 [... [idN]]]]', help: 'Query for task information by id.',
    handler: (s, a) => Object.fromEntries(s.findRequests(list(a['ids'])).map((r) => [r.id, [r.state, r.info]])),
  },
  { name: 'conf', type: 'inspect', args: [['with_defaults', 'bool']], help: 'List configuration.', handler: (s, a) => conf(s, a['with_defaults'] === true) },
  { name: 'report', type: 'inspect', help: 'Information about Celery installation for bug reports.', handler: (s) => ok(report(s)) },
  { name: 'clock', type: 'inspect', help: 'Get current logical clock value.', handler: (s) => ({ clock: s.clock.value }) },
  { name: 'active_queues', type: 'inspect', help: 'List the task queues a worker is currently consuming from.', handler: (s) => s.activeQueues() },
  {
    // Mingle (Celery `hello`): merge the sender's revoked ids, answer with ours; never answer ourselves.
    name: 'hello', type: 'inspect', visible: false, help: 'Request mingle sync-data.',
    handler: (s, a) => {
      if (a['from_node'] === s.hostname) return undefined;
      if (a['revoked']) s.revoked.merge(a['revoked']);
      s.revoked.purge();
      return { revoked: s.revoked.toJSON(), clock: s.clock.forward() };
    },
  },
];

function registered(s: ControlState, a: Record<string, unknown>): string[] {
  const items = list(a['taskinfoitems']);
  const wanted = items.length > 0 ? items : TASK_INFO_ITEMS;
  const names = [...s.app.tasks.keys()].filter((n) => a['builtins'] === true || !n.startsWith('celery.')).sort();
  return names.map((name) => {
    const options = s.app.tasks.get(name)!.options as Record<string, unknown>;
    const fields = wanted
      .map((f) => [f, options[f] ?? options[f.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())]] as const)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([f, v]) => `${f}=${String(v)}`);
    return fields.length > 0 ? `${name} [${fields.join(' ')}]` : name;
  });
}

/**
 * Non-default settings (all with `with_defaults`), secrets hidden as Celery's `conf.table()` hides
 * them (`filterHiddenSettings`: `********` for keys naming a key, password, token, ...; URL passwords
 * masked; mappings filtered deeply).
 */
function conf(s: ControlState, withDefaults: boolean): Record<string, unknown> {
  const table: Record<string, unknown> = {};
  const defaults = DEFAULTS as Record<string, unknown>;
  for (const [key, value] of Object.entries(s.app.conf)) {
    if (key.startsWith('_') || value === undefined || typeof value === 'function') continue;
    if (!withDefaults && JSON.stringify(value) === JSON.stringify(defaults[key])) continue;
    table[key] = value instanceof Date ? formatPythonIsoDate(value) : value;
  }
  return filterHiddenSettings(table);
}

function report(s: ControlState): string {
  return [
    `software -> cq:${s.app.main} node:${process.version}`,
    `platform -> system:${process.platform} arch:${process.arch}`,
    `broker -> ${redact(s.app.broker.url)}`,
    `results -> ${redact(s.app.resultBackendUrl ?? 'disabled')}`,
  ].join('\n');
}
