/**
 * HTTP tasks from a cq client through a real cq worker (Redis db 12) to a local HTTP sink: query
 * and JSON body, Celery 3's envelope (success and failure), a 500 retried by the app's autoretry
 * until it succeeds, a timeout, bad JSON; secrets in the URL never logged nor stored; and a Python
 * Celery 5.2 client calling the task by Celery 3's name.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HTTP_DISPATCH_TASK, registerHttpTasks } from '../src/index.js';
import { Fixture } from './fixture.js';
import { startSink, type Sink } from './sink.js';

const fixture = new Fixture();
let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  await sink.close();
});
afterEach(async () => {
  await fixture.cleanup();
  sink.requests.length = 0;
});

/** The requests the sink saw for `path`. */
const seen = (path: string) => sink.requests.filter((r) => r.url.split('?')[0] === path);

describe('HTTP tasks through a worker', () => {
  it('GET puts the keyword arguments in the query and returns the JSON answer; POST sends them as a JSON body', async () => {
    const { app } = fixture.app();
    const http = registerHttpTasks(app, { headers: { 'x-api-key': 'k-123' } });
    await fixture.worker(app);
    sink.reply('/stock', { body: { sku: 'A1', level: 7 } });
    sink.reply('/orders', { status: 201, body: { id: 991 } });

    const stock = fixture.track(await http.url(`${sink.url}/stock?warehouse=north`).getAsync({ sku: 'A1', fresh: true, n: 3 }));
    expect(await stock.get({ timeout: 10 })).toEqual({ sku: 'A1', level: 7 });
    const [get] = seen('/stock');
    expect(get!.method).toBe('GET');
    expect(new URL(get!.url, sink.url).searchParams.toString()).toBe('warehouse=north&sku=A1&fresh=true&n=3');
    expect(get!.headers).toMatchObject({ 'x-api-key': 'k-123', accept: 'application/json', 'user-agent': 'cq-http-tasks/0.1.0' });

    const order = fixture.track(await http.task.applyAsync([`${sink.url}/orders`, 'post'], { kwargs: { item: 'A1', qty: 2, meta: { gift: true } } }));
    expect(await order.get({ timeout: 10 })).toEqual({ id: 991 });
    const [post] = seen('/orders');
    expect(post).toMatchObject({ method: 'POST', url: '/orders' });
    expect(post!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(post!.body)).toEqual({ item: 'A1', qty: 2, meta: { gift: true } });
  });

  it('Celery 3\'s envelope: success gives retval, failure fails with RemoteExecuteError(reason); plain JSON is returned as it is', async () => {
    const { app } = fixture.app();
    const http = registerHttpTasks(app);
    await fixture.worker(app);
    sink.reply('/legacy', { body: { status: 'success', retval: [1, 2, 3] } }, { body: { status: 'failure', reason: 'Invalid moon alignment.' } });
    sink.reply('/plain', { body: { status: 'queued', position: 4 } });

    const ok = fixture.track(await http.url(`${sink.url}/legacy`).getAsync());
    expect(await ok.get({ timeout: 10 })).toEqual([1, 2, 3]);
    const failed = fixture.track(await http.url(`${sink.url}/legacy`).getAsync());
    const error = await failed.get({ timeout: 10 }).catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ name: 'RemoteExecuteError', message: 'Invalid moon alignment.' });
    expect(await failed.state()).toBe('FAILURE');
    const plain = fixture.track(await http.url(`${sink.url}/plain`).getAsync());
    expect(await plain.get({ timeout: 10 })).toEqual({ status: 'queued', position: 4 });
  });

  it('a 500 is retried by autoretryFor with the app\'s retry machinery until the endpoint answers 200', async () => {
    const { app } = fixture.app();
    const http = registerHttpTasks(app, { retryBackoff: false, defaultRetryDelay: 0, maxRetries: 3 });
    await fixture.worker(app);
    sink.reply('/flaky', { status: 500, body: 'oops' }, { status: 503, body: 'busy' }, { body: { done: true } });

    const result = fixture.track(await http.url(`${sink.url}/flaky`).postAsync({ job: 5 }));
    expect(await result.get({ timeout: 15 })).toEqual({ done: true });
    expect(seen('/flaky').map((r) => r.body)).toEqual(['{"job":5}', '{"job":5}', '{"job":5}']);
    // The worker logs a retry after it has resent the task: the last line may come after the result.
    await vi.waitFor(() => expect(fixture.log.lines.filter((l) => l.includes('retry: Retry in 0s'))).toHaveLength(2));
  });

  it('gives up after maxRetries with the last HttpServerError; a 4xx is not retried', async () => {
    const { app } = fixture.app();
    const http = registerHttpTasks(app, { retryBackoff: false, defaultRetryDelay: 0, maxRetries: 1 });
    await fixture.worker(app);
    sink.fallback('/down', { status: 502, body: 'bad gateway' });
    sink.fallback('/gone', { status: 404, body: { error: 'no such hook' } });

    const down = fixture.track(await http.url(`${sink.url}/down`).getAsync());
    await expect(down.get({ timeout: 15 })).rejects.toMatchObject({ name: 'HttpServerError' });
    expect(seen('/down')).toHaveLength(2);
    const gone = fixture.track(await http.url(`${sink.url}/gone`).getAsync());
    await expect(gone.get({ timeout: 10 })).rejects.toMatchObject({ name: 'HttpClientError', message: expect.stringContaining('answered 404') });
    expect(seen('/gone')).toHaveLength(1);
  });

  it('a slow endpoint fails with HttpTimeoutError after `timeout` seconds; an answer that is not JSON with InvalidResponseError', async () => {
    const { app } = fixture.app();
    const http = registerHttpTasks(app, { timeout: 0.3, maxRetries: 0 });
    await fixture.worker(app);
    sink.fallback('/slow', { delayMs: 3000, body: { late: true } });
    sink.fallback('/html', { body: '<html>maintenance</html>', headers: { 'content-type': 'text/html' } });

    const started = Date.now();
    const slow = fixture.track(await http.url(`${sink.url}/slow`).getAsync());
    await expect(slow.get({ timeout: 10 })).rejects.toMatchObject({ name: 'HttpTimeoutError', message: expect.stringContaining('within 0.3 s') });
    expect(Date.now() - started).toBeLessThan(2500);
    const html = fixture.track(await http.url(`${sink.url}/html`).getAsync());
    await expect(html.get({ timeout: 10 })).rejects.toMatchObject({ name: 'InvalidResponseError', message: expect.stringContaining('not JSON') });
  });

  it('never logs nor stores credentials or query values of the URL; userinfo is sent as Basic auth', async () => {
    const { app } = fixture.app();
    const http = registerHttpTasks(app, { maxRetries: 0 });
    await fixture.worker(app);
    sink.fallback('/secret', { status: 500, body: 'no' });
    const result = fixture.track(await http.url(`http://hookuser:pw-51f0@${sink.url.slice('http://'.length)}/secret?api_key=tok-93ab&x=1`).getAsync({ more: 'tok-2nd' }));
    const error = await result.get({ timeout: 10 }).then(() => new Error('no failure'), (e: unknown) => e as Error);
    expect(error.name).toBe('HttpServerError');
    expect(error.message).toContain('/secret?api_key=***&x=***&more=***');
    const [req] = seen('/secret');
    expect(req!.headers['authorization']).toBe(`Basic ${Buffer.from('hookuser:pw-51f0').toString('base64')}`);
    const traceback = await result.traceback();
    expect(traceback).toContain('HttpServerError');
    const stored = JSON.stringify({ meta: await result.meta(), traceback, stack: error.stack });
    const logged = fixture.log.lines.join('\n');
    for (const secret of ['pw-51f0', 'tok-93ab', 'tok-2nd', 'hookuser']) {
      expect(stored).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    expect(logged).toContain('HttpServerError');
  });
});

describe('from Python', () => {
  it('a Python Celery 5.2 client calls celery.task.http.HttpDispatchTask by name (args and kwargs as Celery 3 sent them)', async () => {
    const { app, queue } = fixture.app();
    registerHttpTasks(app);
    await fixture.worker(app);
    sink.reply('/py', { body: { status: 'success', retval: { charged: 12.5 } } }, { body: { status: 'failure', reason: 'card declined' } });
    const ok = await fixture.pythonCall(queue, { name: HTTP_DISPATCH_TASK, args: [`${sink.url}/py`, 'POST'], kwargs: { amount: 12.5, currency: 'EUR' } });
    fixture.track(app.asyncResult(ok.id));
    expect(ok).toMatchObject({ state: 'SUCCESS', result: { charged: 12.5 } });
    expect(JSON.parse(seen('/py')[0]!.body)).toEqual({ amount: 12.5, currency: 'EUR' });
    const failed = await fixture.pythonCall(queue, { name: HTTP_DISPATCH_TASK, kwargs: { url: `${sink.url}/py`, method: 'GET', amount: 1 } });
    fixture.track(app.asyncResult(failed.id));
    expect(failed).toMatchObject({ state: 'FAILURE', error: 'RemoteExecuteError', message: 'card declined' });
    expect(new URL(seen('/py')[1]!.url, sink.url).search).toBe('?amount=1');
  });
});
