/**
 * The overview, queues, beat and canvas pages and the UI's actions, in a real browser
 * (playwright-core driving Debian's chromium) against a live cq worker and Python worker:
 *
 * - the overview shows both workers online and counts the tasks that ran, with its two charts;
 * - the queues page shows a backlog on a queue nobody consumes, a consumer added from the UI drains
 *   it, and cancelling it from the UI takes the worker off the queue;
 * - the beat page lists an entry with the runs a real beat (running here, state in SQLite) made;
 * - a chain's task page draws every task of the chain, and a chord inside a chain is drawn with its
 *   header framed and the body after it;
 * - a task applied from the tasks page runs and succeeds; the worker page grows and shrinks the
 *   pool, sets a rate limit and time limits, and shuts the Python worker down;
 * - read-only, none of these actions is offered and the server refuses one sent anyway.
 *
 * Screenshots go to a temporary directory, or to docs/dashboard/ with CQ_DASHBOARD_SCREENSHOTS=1.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Beat, Celery, chain, group, Signature, SqliteScheduleStore, type AsyncResult } from '@cq/celery';
import type { Dashboard } from '@cq/dashboard';
import { waitFor } from '@cq/tooling/testing';
import { DashboardUi } from './browser.js';
import { REDIS, startCluster, type Cluster } from './cluster.js';

const ui = new DashboardUi('pages');
const shoot = (name: string): Promise<void> => ui.shoot(name);
const beatFile = path.join(ui.dir, 'beat.db');
let cluster: Cluster;
let idleQueue: string;
let app: Celery;
let beatApp: Celery;
let beat: Beat;
let beatRun: Promise<void>;
let dashboard: Dashboard;
let readOnly: Dashboard;
let page: Page;

async function api(path: string, base = dashboard.url): Promise<any> {
  const res = await fetch(`${base}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
async function untilState(id: string, state: string, timeoutMs = 20_000): Promise<void> {
  let last: any = null;
  await waitFor(async () => (last = await api(`/api/task/info/${id}`).catch(() => null))?.state === state, timeoutMs, () => `task ${id} not ${state}: ${JSON.stringify(last)}`);
}
const text = async (selector: string): Promise<string> => (await page.locator(selector).first().textContent())?.trim() ?? '';
const number = async (testId: string): Promise<number> => Number(await page.getByTestId(testId).textContent());

beforeAll(async () => {
  cluster = await startCluster('pages');
  idleQueue = `dash.${cluster.suffix}.idle`;
  const schedule = {
    'add-every-second': { task: 'dash.ts.add', schedule: 1, args: [1, 1], options: { queue: cluster.cqQueue, ignore_result: true } },
    'nightly-report': { task: 'dash.report', schedule: '24h', kwargs: { full: true } },
  };
  // A real beat, its state in a SQLite file the dashboard is pointed at.
  beatApp = new Celery('dash-beat', { beat_schedule: schedule }).configure({ brokerUrl: REDIS });
  beat = new Beat(beatApp, { store: new SqliteScheduleStore(beatFile), lock: null, maxInterval: 1 });
  beatRun = beat.run();
  app = new Celery('dash-pages', { task_send_sent_event: true, beat_schedule: schedule, task_queues: [cluster.cqQueue, cluster.pyQueue, idleQueue] })
    .configure({ brokerUrl: REDIS, resultBackend: REDIS });
  ({ dashboard, readOnly, page } = await ui.start(app, { beatScheduleFilename: beatFile }));
}, 90_000);

afterAll(async () => {
  await beat?.stop();
  await beatRun?.catch(() => undefined);
  await ui.close();
  await cluster?.stop();
  await app?.close();
  await beatApp?.close();
});

describe('the overview, queues, beat and canvas pages', () => {
  const send = async (name: string, args: unknown[], queue: string): Promise<string> => {
    const id = (await cluster.client.sendTask(name, args, { queue })).id;
    cluster.taskIds.push(id);
    return id;
  };

  it('shows the cluster overview: workers online, tasks counted, throughput and failure charts', async () => {
    const ids = await Promise.all([
      send('dash.ts.add', [1, 2], cluster.cqQueue), send('dash.ts.add', [3, 4], cluster.cqQueue), send('dash.add', [5, 6], cluster.pyQueue),
      send('dash.ts.fail', ['overview'], cluster.cqQueue),
    ]);
    for (const id of ids.slice(0, 3)) await untilState(id, 'SUCCESS');
    await untilState(ids[3], 'FAILURE');

    await page.goto(`${dashboard.url}/`);
    for (const name of [cluster.pyWorker, cluster.cqWorker]) {
      await page.locator(`.overview-workers tr[data-worker="${name}"] .status`, { hasText: 'online' }).waitFor({ timeout: 10_000 });
    }
    // Other test files share the broker: their tasks count too, so the counts are at least ours.
    let cards: string | null = null;
    await waitFor(async () => {
      cards = await page.locator('.cards').textContent();
      return (await number('total-succeeded')) >= 3 && (await number('total-failed')) >= 1 && (await number('workers-online')) >= 2;
    }, 10_000, () => `overview counts: ${cards}`);
    const stats = await api('/api/stats/throughput?interval=60');
    expect(stats.times).toHaveLength(60);
    expect(stats.times.at(-1) + 60).toBeGreaterThan(Date.now() / 1000 - 5);
    expect(stats.totals.succeeded).toBeGreaterThanOrEqual(3);
    expect(stats.series.failed.reduce((a: number, b: number) => a + b, 0)).toBe(stats.totals.failed);
    expect(await page.locator('[data-testid="chart-throughput"] canvas').count()).toBe(1);
    expect(await page.locator('[data-testid="chart-failures"] canvas').count()).toBe(1);
    await page.locator(`.overview-queues tr[data-queue="${cluster.cqQueue}"]`).waitFor();
  });

  it('shows queue lengths and consumers, and adds and cancels a consumer from the UI', async () => {
    const ids = await Promise.all([1, 2, 3].map((i) => send('dash.ts.add', [i, i], idleQueue)));
    await page.goto(`${dashboard.url}/queues`);
    const idle = page.locator(`tr[data-queue="${idleQueue}"]`);
    await idle.locator('.messages', { hasText: /^3$/ }).waitFor({ timeout: 10_000 });
    expect(await idle.locator('[data-consumer]').count()).toBe(0);
    await page.locator(`tr[data-queue="${cluster.cqQueue}"] [data-consumer="${cluster.cqWorker}"]`).waitFor();
    await page.locator(`tr[data-queue="${cluster.pyQueue}"] [data-consumer="${cluster.pyWorker}"]`).waitFor();
    await shoot('queues');

    await page.getByLabel('queue name').fill(idleQueue);
    await page.getByLabel('consumer worker').selectOption(cluster.cqWorker);
    await page.getByRole('button', { name: 'Add consumer' }).click();
    await idle.locator(`[data-consumer="${cluster.cqWorker}"]`).waitFor({ timeout: 10_000 });
    for (const id of ids) await untilState(id, 'SUCCESS');
    await idle.locator('.messages', { hasText: /^0$/ }).waitFor({ timeout: 10_000 });

    await idle.getByRole('button', { name: `cancel ${idleQueue} on ${cluster.cqWorker}` }).click();
    await waitFor(async () => (await idle.locator('[data-consumer]').count()) === 0, 10_000, () => 'consumer not cancelled');
    const after = (await api(`/api/workers?workername=${encodeURIComponent(cluster.cqWorker)}`))[cluster.cqWorker];
    expect(after.active_queues.map((q: any) => q.name)).toEqual([cluster.cqQueue]);
  });

  it('lists the beat schedule with the runs beat recorded', async () => {
    await waitFor(async () => ((await api('/api/ui/beat')).entries.find((e: any) => e.name === 'add-every-second')?.total_run_count ?? 0) >= 2,
      15_000, () => 'beat did not run add-every-second twice');
    await page.goto(`${dashboard.url}/beat`);
    const row = page.locator('tr[data-entry="add-every-second"]');
    await row.waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe('dash.ts.add');
    expect(await row.locator('td').nth(2).textContent()).toBe('<freq: 1.00 seconds>');
    expect(Number(await row.locator('td.runs').textContent())).toBeGreaterThanOrEqual(2);
    expect(await row.locator('td').nth(4).textContent()).toMatch(/ago$/);
    const nightly = page.locator('tr[data-entry="nightly-report"]');
    expect(await nightly.locator('td').nth(2).textContent()).toBe('<freq: 86400.00 seconds>');
    expect(await nightly.locator('td').nth(4).textContent()).toBe('never');
    expect(await nightly.locator('td').nth(5).textContent()).toBe('in 24 h');
    expect(await text('[data-testid="beat-source"]')).toContain(beatFile);
    await shoot('beat');
  });

  it('draws the canvas graph of a chain, and of a chord inside a chain', async () => {
    const s = (name: string, args: unknown[] = []): Signature => new Signature(name, { args, options: { queue: cluster.cqQueue }, app: cluster.client });
    const last = await chain(s('dash.ts.add', [1, 2]), s('dash.ts.add', [3]), s('dash.ts.add', [4])).applyAsync();
    expect(await last.get({ timeout: 15 })).toBe(10);
    const ids: string[] = [];
    for (let r: AsyncResult | null = last; r; r = r.parent) ids.unshift(r.id);
    cluster.taskIds.push(...ids);
    expect(ids).toHaveLength(3);
    await untilState(ids[2]!, 'SUCCESS');

    await page.goto(`${dashboard.url}/task/${ids[1]}`);
    const graph = page.getByTestId('canvas-graph');
    await waitFor(async () => (await graph.locator('[data-node]').count()) === 3, 10_000, () => 'chain graph not drawn');
    expect(await graph.locator('[data-node]').evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-node'), n.getAttribute('data-state')])))
      .toEqual(ids.map((id) => [id, 'SUCCESS']));
    expect(await graph.locator('[data-edge]').evaluateAll((edges) => edges.map((e) => e.getAttribute('data-edge')))).toEqual([`${ids[0]}>${ids[1]}`, `${ids[1]}>${ids[2]}`]);
    await graph.locator(`[data-node="${ids[2]}"]`).click();
    await page.waitForURL(`**/task/${ids[2]}`);
    await page.getByTestId('task-state').filter({ hasText: 'SUCCESS' }).waitFor();

    // 2 → [3, 12] → 15 → 17: the group followed by a task is a chord.
    const mixed = await chain(s('dash.ts.add', [1, 1]), group(s('dash.ts.add', [1]), s('dash.ts.add', [10])), s('dash.ts.tsum'), s('dash.ts.add', [2])).applyAsync();
    expect(await mixed.get({ timeout: 15 })).toBe(17);
    cluster.taskIds.push(mixed.id);
    await untilState(mixed.id, 'SUCCESS');
    await page.goto(`${dashboard.url}/task/${mixed.id}`);
    await waitFor(async () => (await graph.locator('[data-node][data-state="SUCCESS"]').count()) === 5, 10_000, () => 'chord graph not drawn');
    const parts = await api(`/api/ui/task/${mixed.id}/graph`);
    cluster.taskIds.push(...parts.nodes.map((n: any) => n.id));
    expect(parts.groups).toHaveLength(1);
    expect(parts.groups[0].members).toHaveLength(2);
    expect(await graph.locator('[data-group]').count()).toBe(1);
    const body = parts.groups[0].callback;
    expect(parts.nodes.find((n: any) => n.id === body).name).toBe('dash.ts.tsum');
    expect(parts.edges.filter((e: any) => e.to === body).map((e: any) => e.kind)).toEqual(['callback', 'callback']);
    expect(Object.fromEntries(parts.nodes.map((n: any) => [n.name === 'dash.ts.tsum' ? 'body' : n.id === mixed.id ? 'last' : n.layer === 0 ? 'first' : `header${n.order}`, n.layer])))
      .toEqual({ first: 0, header0: 1, header1: 1, body: 2, last: 3 });
    await shoot('task-graph');
  });

  it('applies a task from the tasks page and shows it succeed', async () => {
    await page.goto(`${dashboard.url}/tasks`);
    await page.getByText('Apply a task').click();
    await page.getByLabel('task to apply').fill('dash.ts.add');
    await page.getByLabel('args', { exact: true }).fill('[20, 22]');
    await page.getByLabel('queue', { exact: true }).fill(cluster.cqQueue);
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    const status = page.getByTestId('apply-task').getByRole('status');
    await status.filter({ hasText: /^sent / }).waitFor({ timeout: 10_000 });
    const id = (await status.textContent())!.replace(/^sent /, '');
    cluster.taskIds.push(id);
    await shoot('apply');
    await status.getByRole('link').click();
    await page.getByTestId('task-state').filter({ hasText: 'SUCCESS' }).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('task-result').textContent()).toBe('42');
    expect(await page.getByTestId('task-args').textContent()).toContain('args: (20, 22)');
  });

  it('controls a worker from its page: pool, rate limit, time limits, shutdown', async () => {
    await page.goto(`${dashboard.url}/worker/${encodeURIComponent(cluster.cqWorker)}`);
    const actions = page.getByTestId('worker-actions');
    const status = actions.getByRole('status');
    const pool = page.getByTestId('worker-pool');
    await pool.filter({ hasText: 'concurrency 2' }).waitFor();

    await actions.getByLabel('processes').fill('1');
    await actions.getByRole('button', { name: 'Grow' }).click();
    await status.filter({ hasText: `Growing '${cluster.cqWorker}' worker's pool by 1` }).waitFor({ timeout: 10_000 });
    await pool.filter({ hasText: 'concurrency 3' }).waitFor({ timeout: 10_000 });
    await actions.getByRole('button', { name: 'Shrink' }).click();
    await pool.filter({ hasText: 'concurrency 2' }).waitFor({ timeout: 10_000 });

    await actions.getByLabel('rate limit task').selectOption('dash.ts.add');
    await actions.getByLabel('rate', { exact: true }).fill('100/s');
    await actions.getByRole('button', { name: 'Set rate limit' }).click();
    await status.filter({ hasText: 'new rate limit set successfully' }).waitFor({ timeout: 10_000 });
    await actions.getByLabel('time limit task').selectOption('dash.ts.sleep');
    await actions.getByLabel('soft limit').fill('30');
    await actions.getByLabel('hard limit').fill('60');
    await actions.getByRole('button', { name: 'Set time limits' }).click();
    await status.filter({ hasText: 'time limits set successfully' }).waitFor({ timeout: 10_000 });
    // A refused command shows the worker's reason: cq has no autoscale bounds to change at run time.
    await actions.getByLabel('autoscale min').fill('1');
    await actions.getByLabel('autoscale max').fill('4');
    await actions.getByRole('button', { name: 'Set autoscale' }).click();
    await status.filter({ hasText: `Failed to autoscale '${cluster.cqWorker}' worker` }).waitFor({ timeout: 10_000 });

    await page.goto(`${dashboard.url}/worker/${encodeURIComponent(cluster.pyWorker)}`);
    await actions.getByRole('button', { name: 'Shut down' }).click();
    await actions.getByRole('button', { name: 'Confirm shutdown' }).click();
    await status.filter({ hasText: 'Shutting down!' }).waitFor({ timeout: 10_000 });
    await page.locator('h1 .status', { hasText: 'offline' }).waitFor({ timeout: 15_000 });
  });

  it('shows the whole run on the overview, the stopped worker offline', async () => {
    await page.goto(`${dashboard.url}/`);
    await page.locator(`.overview-workers tr[data-worker="${cluster.pyWorker}"] .status`, { hasText: 'offline' }).waitFor({ timeout: 10_000 });
    await waitFor(async () => (await number('workers-offline')) >= 1 && (await number('total-succeeded')) >= 20, 10_000, () => 'overview did not count the run');
    await shoot('overview');
  });

  it('offers none of these actions read-only, and refuses one sent anyway', async () => {
    await page.goto(`${readOnly.url}/`);
    await page.getByTestId('read-only').waitFor();
    await page.locator(`.overview-workers tr[data-worker="${cluster.cqWorker}"]`).waitFor({ timeout: 10_000 });
    await page.goto(`${readOnly.url}/tasks`);
    await page.locator('table.tasks').waitFor();
    expect(await page.getByTestId('apply-task').count()).toBe(0);
    await page.goto(`${readOnly.url}/worker/${encodeURIComponent(cluster.cqWorker)}`);
    await page.getByTestId('worker-pool').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('worker-actions').count()).toBe(0);
    await page.goto(`${readOnly.url}/queues`);
    await page.locator(`tr[data-queue="${cluster.cqQueue}"] [data-consumer="${cluster.cqWorker}"]`).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('button').count()).toBe(0);
    // Beat page, without the state file: the configured schedule, no runs.
    await page.goto(`${readOnly.url}/beat`);
    await page.locator('tr[data-entry="add-every-second"] td.runs', { hasText: '—' }).waitFor();
    const refused = await page.evaluate(async ([worker]) => {
      const res = await fetch(`/api/worker/pool/grow/${encodeURIComponent(worker!)}`, { method: 'POST' });
      return { status: res.status, text: await res.text() };
    }, [cluster.cqWorker]);
    expect(refused).toEqual({ status: 403, text: 'The dashboard is read-only: actions are disabled' });
  });
});
