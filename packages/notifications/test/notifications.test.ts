/**
 * Failure notifications from a real cq worker (in process, Redis db 12) to real servers: an SMTP
 * server that requires a login, and an HTTP webhook sink; filters, the rate limit, and sending
 * failures that must not touch the worker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@cq/tooling/testing';
import { ErrorMail, errorNotifications, type ErrorMailContext, type FailureNotification } from '../src/index.js';
import { Fixture, NODE, ValueError, recordingLog, settled, until } from './fixture.js';
import { startHttpSink, startSmtpSink, type HttpSink, type SmtpSink } from './sinks.js';

const SMTP_USER = 'cq-mailer';
const SMTP_PASSWORD = 'pw-9f3c1e-never-logged';
const WEBHOOK_TOKEN = 'tok-7d21-never-logged';

const fixture = new Fixture();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await fixture.cleanup();
  for (const close of closers.splice(0)) await close();
});

async function smtpSink(options: { reject?: string } = {}): Promise<SmtpSink> {
  const sink = await startSmtpSink({ user: SMTP_USER, pass: SMTP_PASSWORD, ...options });
  closers.push(() => sink.close());
  return sink;
}

async function httpSink(options: { status?: number; hang?: boolean } = {}): Promise<HttpSink> {
  const sink = await startHttpSink(options);
  closers.push(() => sink.close());
  return sink;
}

function mailSettings(port: number, password = SMTP_PASSWORD) {
  return {
    task_send_error_emails: true, admins: [['Ops', 'ops@example.com'] as const, 'dev@example.com'], server_email: 'cq@example.com',
    email_host: '127.0.0.1', email_port: port, email_host_user: SMTP_USER, email_host_password: password, email_timeout: 2,
  };
}

describe('error e-mails', () => {
  it('e-mails the failure of a task run by a worker to the admins, logging in to the SMTP server, with Celery\'s subject and body', async () => {
    const smtp = await smtpSink();
    const log = recordingLog();
    const plugin = errorNotifications({ log });
    const app = fixture.app(plugin, mailSettings(smtp.port));
    const charge = app.task('notify.charge', (amount: number, currency: string, _opts?: Record<string, unknown>) => {
      throw new ValueError(`cannot charge ${amount} ${currency}`);
    }, { params: ['amount', 'currency', 'opts'] });
    await fixture.worker(app);

    const [result] = fixture.track(await charge.applyAsync([12, 'EUR'], { kwargs: { opts: { retry: false } } }));
    await expect(result!.get({ timeout: 10 })).rejects.toThrow('cannot charge 12 EUR');
    expect(await until(() => smtp.mails.length === 1)).toBe(true);

    const mail = smtp.mails[0]!;
    expect(mail.user).toBe(SMTP_USER);
    expect(mail.from).toBe('cq@example.com');
    expect(mail.to).toEqual(['ops@example.com', 'dev@example.com']);
    expect(mail.headers['to']).toBe('Ops <ops@example.com>, dev@example.com');
    expect(mail.subject).toBe(`[${NODE}] Error: Task notify.charge (${result!.id}): ValueError('cannot charge 12 EUR')`);
    expect(mail.text).toMatch(new RegExp(
      `^Task notify\\.charge with id ${result!.id} raised exception:\\nValueError\\('cannot charge 12 EUR'\\)\\n\\n\\n`
      + `Task was called with args: \\(12, 'EUR'\\) kwargs: \\{'opts': \\{'retry': False\\}\\}\\.\\n\\n`
      + `The contents of the full traceback was:\\n\\nValueError: cannot charge 12 EUR\\n    at .*notifications\\.test\\.ts`,
    ));
    expect(mail.text.endsWith(`\n-- \nJust to let you know,\ncq at ${NODE}.`)).toBe(true);
    expect(smtp.refusedLogins).toBe(0);
    expect(await plugin.flush()).toBe(true);
    expect(plugin.stats).toMatchObject({ notified: 1, sent: { email: 1, webhook: 0 }, failed: { email: 0, webhook: 0 } });
    expect(log.lines).toEqual([]);
  });

  it('sends nothing while task_send_error_emails is off, unless the task says sendErrorEmails: true', async () => {
    const smtp = await smtpSink();
    const plugin = errorNotifications({ log: recordingLog() });
    const app = fixture.app(plugin, { ...mailSettings(smtp.port), task_send_error_emails: false });
    const quiet = app.task('notify.quiet', () => { throw new ValueError('not mailed'); });
    const loud = app.task('notify.loud', () => { throw new ValueError('mailed'); }, { sendErrorEmails: true });
    await fixture.worker(app);
    const results = fixture.track(await quiet.delay(), await loud.delay());
    await settled(results);
    await plugin.flush();
    expect(smtp.mails.map((m) => m.subject)).toEqual([`[${NODE}] Error: Task notify.loud (${results[1]!.id}): ValueError('mailed')`]);
  });
});

describe('webhook', () => {
  it('POSTs the documented JSON, with the configured headers, to the configured URL', async () => {
    const sink = await httpSink();
    const plugin = errorNotifications({ log: recordingLog(), webhook: { url: `${sink.url}/hooks/cq?token=${WEBHOOK_TOKEN}`, headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` }, timeout: 2000 } });
    const app = fixture.app(plugin);
    const parse = app.task('notify.parse', (text: string) => {
      throw new ValueError(`it's not JSON: ${text}`);
    });
    await fixture.worker(app);
    const before = Date.now();
    const [result] = fixture.track(await parse.delay('{nope'));
    await settled([result!]);
    expect(await until(() => sink.requests.length === 1)).toBe(true);

    const request = sink.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`/hooks/cq?token=${WEBHOOK_TOKEN}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['authorization']).toBe(`Bearer ${WEBHOOK_TOKEN}`);
    const body = request.body as FailureNotification;
    expect(Object.keys(body).sort()).toEqual(['app', 'event', 'exception', 'hostname', 'suppressed', 'task', 'timestamp', 'version', 'windowSeconds']);
    expect(body).toMatchObject({
      version: 1, event: 'task-failed', app: 'notify', hostname: NODE, suppressed: 0, windowSeconds: null,
      task: { name: 'notify.parse', id: result!.id, argsrepr: "('{nope',)", kwargsrepr: '{}' },
      exception: { type: 'ValueError', message: "it's not JSON: {nope", repr: 'ValueError("it\'s not JSON: {nope")' },
    });
    expect(Object.keys(body.task).sort()).toEqual(['argsrepr', 'id', 'kwargsrepr', 'name']);
    expect(Object.keys(body.exception).sort()).toEqual(['message', 'repr', 'traceback', 'type']);
    expect(body.exception.traceback).toMatch(/^ValueError: it's not JSON: \{nope\n {4}at .*notifications\.test\.ts/);
    expect(Date.parse(body.timestamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('filters', () => {
  it('notifies only the task names and error types asked for, minus per-task opt-outs and what shouldSend refuses', async () => {
    class NoisyError extends ValueError {}
    class NotForPayments extends ErrorMail {
      override shouldSend(context: ErrorMailContext): boolean {
        return !context.args.includes("'skip'");
      }
    }
    const sink = await httpSink();
    const plugin = errorNotifications({
      log: recordingLog(), webhook: { url: sink.url }, errorMail: new NotForPayments(),
      tasks: ['billing.*', 'ops.?x'], excludeTasks: ['billing.internal.*'], exceptions: [ValueError, 'KeyError'], ignoreExceptions: [NoisyError],
    });
    const app = fixture.app(plugin);
    const raise = (kind: string): never => {
      if (kind === 'type') throw new TypeError('wrong type');
      if (kind === 'noisy') throw new NoisyError('noisy');
      if (kind === 'key') throw Object.assign(new Error("'k'"), { name: 'KeyError' });
      throw new ValueError(kind);
    };
    const tasks = {
      charge: app.task('billing.charge', raise),
      internal: app.task('billing.internal.sync', raise),
      report: app.task('reports.build', raise),
      quiet: app.task('billing.quiet', raise, { sendErrorEmails: false }),
      ops: app.task('ops.ax', raise),
      opsLong: app.task('ops.abx', raise),
    };
    await fixture.worker(app);
    const sent = fixture.track(
      await tasks.charge.delay('value'), await tasks.ops.delay('key'),
    );
    const filtered = fixture.track(
      await tasks.charge.delay('type'), await tasks.charge.delay('noisy'), await tasks.charge.delay('skip'),
      await tasks.internal.delay('value'), await tasks.report.delay('value'), await tasks.quiet.delay('value'), await tasks.opsLong.delay('value'),
    );
    await settled([...sent, ...filtered]);
    expect(await plugin.flush()).toBe(true);
    const ids = sink.requests.map((r) => (r.body as FailureNotification).task.id).sort();
    expect(ids).toEqual(sent.map((r) => r.id).sort());
    expect(plugin.stats.notified).toBe(2);
  });
});

describe('rate limit', () => {
  it('sends 10 of 11 failures of one task and error type in the window, then one digest counting the one left out', async () => {
    const smtp = await smtpSink();
    const sink = await httpSink();
    const plugin = errorNotifications({ log: recordingLog(), webhook: { url: sink.url }, rateLimit: { max: 10, windowMs: 2000 } });
    const app = fixture.app(plugin, mailSettings(smtp.port));
    const flaky = app.task('notify.flaky', (n: number) => {
      throw n < 0 ? new TypeError('other error type') : new ValueError(`attempt ${n}`);
    });
    await fixture.worker(app);
    const results = fixture.track(...await Promise.all(Array.from({ length: 11 }, (_v, n) => flaky.delay(n))));
    const other = fixture.track(await flaky.delay(-1));
    await settled([...results, ...other]);

    // 10 + the TypeError (its own key) at once; the digest when the window closes.
    expect(await until(() => sink.requests.length === 11 && smtp.mails.length === 11, 5000)).toBe(true);
    expect(plugin.stats.suppressed).toBe(1);
    expect(await until(() => sink.requests.length === 12 && smtp.mails.length === 12, 5000)).toBe(true);

    const bodies = sink.requests.map((r) => r.body as FailureNotification);
    const failed = bodies.filter((b) => b.event === 'task-failed');
    expect(failed.filter((b) => b.exception.type === 'ValueError')).toHaveLength(10);
    expect(failed.filter((b) => b.exception.type === 'TypeError')).toHaveLength(1);
    expect(failed.every((b) => b.suppressed === 0)).toBe(true);
    const digest = bodies.at(-1)!;
    expect(digest).toMatchObject({ event: 'task-failures-suppressed', suppressed: 1, windowSeconds: 2, exception: { type: 'ValueError' } });
    const notifiedIds = new Set(failed.map((b) => b.task.id));
    expect(notifiedIds.has(digest.task.id)).toBe(false);
    expect(results.map((r) => r.id)).toContain(digest.task.id);

    const subjects = smtp.mails.map((m) => m.subject);
    expect(subjects.filter((s) => s.includes(' Error: Task notify.flaky ('))).toHaveLength(11);
    expect(subjects.at(-1)).toBe(`[${NODE}] Error: Task notify.flaky: 1 more ValueError failure(s) not e-mailed in 2s`);
    expect(smtp.mails.at(-1)!.text).toContain(`Task notify.flaky failed 1 more time(s) with ValueError in the last 2 seconds.\nThose failures were not e-mailed one by one (rate limit); the last was task id ${digest.task.id}:`);
    expect(await plugin.flush()).toBe(true);
    expect(plugin.stats).toMatchObject({ notified: 11, suppressed: 1, digests: 1, sent: { email: 12, webhook: 12 } });
  });
});

describe('sending failures', () => {
  it('logs a refused login, a refused message, an SMTP port nobody listens on and a failing webhook, without secrets; the worker runs on', async () => {
    const wrongLogin = await smtpSink();
    const refusing = await smtpSink({ reject: 'Mailbox unavailable' });
    const failingHook = await httpSink({ status: 500 });
    const cases = [
      { port: wrongLogin.port, password: `${SMTP_PASSWORD}-wrong`, reason: /Invalid username or password/ },
      { port: refusing.port, password: SMTP_PASSWORD, reason: /550 Mailbox unavailable/ },
      { port: await freePort(), password: SMTP_PASSWORD, reason: /ECONNREFUSED/ },
    ];
    for (const { port, password, reason } of cases) {
      const log = recordingLog();
      const plugin = errorNotifications({ log, webhook: { url: `${failingHook.url}/h?token=${WEBHOOK_TOKEN}`, headers: { 'x-token': WEBHOOK_TOKEN } } });
      const app = fixture.app(plugin, mailSettings(port, password));
      const fail = app.task('notify.fail', () => { throw new ValueError('down'); });
      const add = app.task('notify.add', (x: number, y: number) => x + y);
      await fixture.worker(app);
      const failed = fixture.track(await fail.delay(), await fail.delay());
      await settled(failed);
      const sums = fixture.track(...await Promise.all([1, 2, 3].map((n) => add.delay(n, n))));
      expect(await Promise.all(sums.map((r) => r.get({ timeout: 10 })))).toEqual([2, 4, 6]);
      expect(await plugin.flush()).toBe(true);

      expect(plugin.stats).toMatchObject({ notified: 2, sent: { email: 0, webhook: 0 }, failed: { email: 2, webhook: 2 } });
      expect(log.lines).toHaveLength(4);
      const mailErrors = log.lines.filter((l) => l.startsWith(`ERROR @cq/notifications: could not send the error e-mail through smtp://127.0.0.1:${port}: `));
      expect(mailErrors).toHaveLength(2);
      expect(mailErrors[0]).toMatch(reason);
      expect(log.lines.filter((l) => l === `ERROR @cq/notifications: the webhook ${failingHook.url}/h answered 500 Internal Server Error`)).toHaveLength(2);
      for (const line of log.lines) {
        expect(line).not.toContain(SMTP_PASSWORD);
        expect(line).not.toContain(WEBHOOK_TOKEN);
      }
    }
    expect(wrongLogin.refusedLogins).toBe(2);
    expect(wrongLogin.mails).toEqual([]);
    expect(refusing.mails).toEqual([]);
    expect(failingHook.requests).toHaveLength(6);
  });

  it('never holds up the task path: with a webhook that does not answer, tasks finish at once and a full queue drops and says so', async () => {
    const hanging = await httpSink({ hang: true });
    const log = recordingLog();
    const plugin = errorNotifications({ log, webhook: { url: hanging.url, timeout: 6000 }, queueSize: 2, rateLimit: false });
    const app = fixture.app(plugin);
    const fail = app.task('notify.fail', (n: number) => { throw new ValueError(`down ${n}`); });
    const add = app.task('notify.add', (x: number, y: number) => x + y);
    await fixture.worker(app);
    const failed = fixture.track(...await Promise.all([1, 2, 3, 4, 5].map((n) => fail.delay(n))));
    await settled(failed);

    // Two sends are pending (the webhook stays silent until they time out after 6 s); the next task
    // still finishes while both are pending: none has ended yet when its result is in.
    const [sum] = fixture.track(await add.delay(20, 22));
    expect(await sum!.get({ timeout: 5 })).toBe(42);
    expect(plugin.stats).toMatchObject({ notified: 5, dropped: 3, sent: { webhook: 0 }, failed: { webhook: 0 } });
    expect(log.lines).toEqual(['WARNING @cq/notifications: 2 sends pending: new ones are dropped until the queue has room']);

    expect(await plugin.flush(15_000)).toBe(true);
    expect(plugin.stats).toMatchObject({ sent: { webhook: 0 }, failed: { webhook: 2 } });
    expect(log.lines.slice(1).sort()).toEqual([
      `ERROR @cq/notifications: could not POST the failure notification to ${hanging.url}/: no answer within 6000 ms`,
      `ERROR @cq/notifications: could not POST the failure notification to ${hanging.url}/: no answer within 6000 ms`,
      'WARNING @cq/notifications: the queue has room again; 3 send(s) were dropped',
    ]);
    expect(hanging.requests).toHaveLength(2);
  });
});
