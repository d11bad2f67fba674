import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Celery } from './app.js';
import { DEFAULTS } from './config.js';
import { isKnownSetting, unknownSettingWarnings } from './known-settings.js';

/** A real pino logger whose lines are kept, parsed. */
function capture(): { log: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { log, lines };
}

/** A config as a JS caller would pass it: no types to catch a misspelling. */
const plain = (json: string): Record<string, unknown> => JSON.parse(json) as Record<string, unknown>;

describe('unknown settings', () => {
  it('logs one warning per unknown key, naming the closest setting, through the logger set after construction', () => {
    const app = new Celery('t', plain('{"task_acks_lat": true, "task_serializer": "json"}'));
    const { log, lines } = capture();
    app.log = log;
    expect(app.conf.task_serializer).toBe('json');
    expect(app.conf.task_acks_late).toBe(false);
    void app.broker;
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: "unknown setting 'task_acks_lat' (did you mean 'task_acks_late'?)" })]);
    // The key is kept as given.
    expect(Reflect.get(app.conf, 'task_acks_lat')).toBe(true);
  });

  it('warns once for each of several unknown keys', () => {
    const app = new Celery('t', plain('{"worker_concurency": 4, "result_expire": 10, "beat_schedul": {}}'));
    const { log, lines } = capture();
    app.log = log;
    for (let i = 0; i < 3; i++) void app.conf;
    expect(lines.map((l) => l.msg)).toEqual([
      "unknown setting 'worker_concurency' (did you mean 'worker_concurrency'?)",
      "unknown setting 'result_expire' (did you mean 'result_expires'?)",
      "unknown setting 'beat_schedul' (did you mean 'beat_schedule'?)",
    ]);
  });

  it('is quiet for settings of other packages, Celery settings cq does not implement, and cq extras', () => {
    // Neither @cq/worker, @cq/beat, @cq/control nor @cq/events is imported here: the list is static.
    const app = new Celery('t', plain(JSON.stringify({
      worker_concurrency: 2, worker_state_db: 'w.db', beat_schedule: {}, beat_max_loop_interval: 5, control_exchange: 'c',
      event_queue_ttl: 1, worker_send_task_events: true, task_send_sent_event: true,
      worker_direct: true, beat_sync_every: 1, broker_pool_limit: 5, redis_client_name: 'x', worker_eta_task_limit: 3,
      worker_mingle: true, beat_lock_timeout: 10, beat_lock_key: 'k', task_default_max_retries: 1, task_default_retry_delay: 2,
      task_acks_on_failure_or_timeout: undefined,
    })));
    const { log, lines } = capture();
    app.log = log;
    void app.conf;
    expect(lines).toEqual([]);
  });

  it('is not consumed by reads during construction (plugins), so a logger set afterwards still gets it', () => {
    let seen: string | undefined;
    const app = new Celery('t', plain('{"task_default_queu": "q"}'), {
      plugins: [{ name: 'reads-conf', install: (a) => { seen = a.conf.task_default_queue; } }],
    });
    expect(seen).toBe('celery');
    const { log, lines } = capture();
    app.log = log;
    void app.conf;
    expect(lines.map((l) => l.msg)).toEqual(["unknown setting 'task_default_queu' (did you mean 'task_default_queue'?)"]);
  });

  it('knows every setting of the app, and skips keys whose value is undefined', () => {
    for (const key of Object.keys(DEFAULTS)) expect(isKnownSetting(key), key).toBe(true);
    expect(isKnownSetting('task_acks_lat')).toBe(false);
    expect(isKnownSetting('CELERY_TASK_SERIALIZER')).toBe(false);
    expect(unknownSettingWarnings({ nope: undefined, task_acks_late: true })).toEqual([]);
  });
});
