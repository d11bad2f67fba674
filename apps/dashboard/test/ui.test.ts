/**
 * The UI in a real browser (playwright-core driving Debian's chromium) against a live cq worker
 * and Python worker: the tasks page shows a running task, Terminate from the UI stops it and the row
 * turns REVOKED by itself (server-sent events); Retry re-sends a failed task with its arguments; the
 * task page shows the traceback and the event timeline; the workers pages show both workers; in
 * read-only mode no action is offered and the server refuses one sent anyway.
 *
 * Screenshots of each page go to a temporary directory, or to docs/dashboard/ (the ones the README
 * shows) with CQ_DASHBOARD_SCREENSHOTS=1.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery } from '@cq/celery';
import type { Dashboard } from '@cq/dashboard';
import { waitFor } from '@cq/tooling/testing';
import { DashboardUi } from './browser.js';
import { REDIS, startCluster, type Cluster } from './cluster.js';

const ui = new DashboardUi('ui');
const shoot = (name: string): Promise<void> => ui.shoot(name);
let cluster: Cluster;
let app: Celery;
let dashboard: Dashboard;
let readOnly: Dashboard;
let page: Page;

async function info(id: string): Promise<any> {
  const res = await fetch(`${dashboard.url}/api/task/info/${id}`);
  return res.ok ? res.json() : null;
}
async function untilState(id: string, state: string, timeoutMs = 20_000): Promise<any> {
  let last: any = null;
  await waitFor(async () => (last = await info(id))?.state === state, timeoutMs, () => `task ${id} not ${state}: ${JSON.stringify(last)}`);
  return last;
}

beforeAll(async () => {
  app = new Celery('dash-ui', { task_send_sent_event: true }).configure({ brokerUrl: REDIS, resultBackend: REDIS });
  ({ dashboard, readOnly, page } = await ui.start(app));
  cluster = await startCluster('ui');
}, 60_000);

afterAll(async () => {
  await ui.close();
  await cluster?.stop();
  await app?.close();
});

describe('the dashboard UI', () => {
  const ids: Record<string, string> = {};

  it('shows a running task, terminates it from the UI and shows it revoked', async () => {
    const send = async (name: string, args: unknown[], queue: string): Promise<string> => {
      const id = (await cluster.client.sendTask(name, args, { queue })).id;
      cluster.taskIds.push(id);
      return id;
    };
    ids['pyAdd'] = await send('dash.add', [20, 22], cluster.pyQueue);
    ids['cqAdd'] = await send('dash.ts.add', [1, 2], cluster.cqQueue);
    ids['pyFail'] = await send('dash.fail', ['python says no'], cluster.pyQueue);
    ids['cqFail'] = await send('dash.ts.fail', ['cq says no'], cluster.cqQueue);
    ids['sleep'] = await send('dash.ts.sleep', [60], cluster.cqQueue);
    await untilState(ids['sleep'], 'STARTED');
    await untilState(ids['cqFail'], 'FAILURE');
    await untilState(ids['pyFail'], 'FAILURE');

    // Only this file's tasks (the worker names hold the suffix): other test files share the broker.
    await page.goto(`${dashboard.url}/tasks?search=${cluster.suffix}`);
    const row = page.locator(`tr[data-task-id="${ids['sleep']}"]`);
    await row.locator('.state', { hasText: 'STARTED' }).waitFor({ timeout: 10_000 });
    await page.locator(`tr[data-task-id="${ids['pyAdd']}"] .state`, { hasText: 'SUCCESS' }).waitFor();
    await shoot('tasks');

    await row.getByRole('button', { name: 'Terminate' }).click();
    // No reload: the row changes when the worker's task-revoked event is recorded and streamed.
    await row.locator('.state', { hasText: 'REVOKED' }).waitFor({ timeout: 15_000 });
    expect(await info(ids['sleep'])).toMatchObject({ state: 'REVOKED', worker: cluster.cqWorker });
  });

  it('retries a failed task with its arguments', async () => {
    const row = page.locator(`tr[data-task-id="${ids['cqFail']}"]`);
    await row.getByRole('button', { name: 'Retry' }).click();
    const status = row.getByRole('status');
    await status.filter({ hasText: /^sent / }).waitFor({ timeout: 10_000 });
    const retried = (await status.textContent())!.replace(/^sent /, '');
    cluster.taskIds.push(retried);
    expect(retried).not.toBe(ids['cqFail']);
    expect(await untilState(retried, 'FAILURE')).toMatchObject({ name: 'dash.ts.fail', args: (await info(ids['cqFail']!)).args, worker: cluster.cqWorker });
  });

  it('shows a task with its traceback and event timeline', async () => {
    await page.goto(`${dashboard.url}/task/${ids['pyFail']}`);
    await page.getByTestId('task-state').filter({ hasText: 'FAILURE' }).waitFor();
    expect(await page.locator('pre.traceback').textContent()).toContain('ValueError: python says no');
    expect(await page.getByTestId('task-args').textContent()).toContain('python says no');
    const events = await page.locator('table.timeline tbody tr td:nth-child(2)').allTextContents();
    // In time order; the client's task-sent may carry a later time than the fast worker's first events.
    expect(events.filter((e) => e !== 'task-sent')).toEqual(['task-received', 'task-started', 'task-failed']);
    expect(events).toContain('task-sent');
    await shoot('task');
  });

  it('shows both workers online, and one worker in detail', async () => {
    await page.goto(`${dashboard.url}/workers`);
    for (const name of [cluster.pyWorker, cluster.cqWorker]) {
      await page.locator(`tr[data-worker="${name}"] .status`, { hasText: 'online' }).waitFor({ timeout: 10_000 });
    }
    const cell = (worker: string, column: number) => page.locator(`tr[data-worker="${worker}"] td:nth-child(${column})`).textContent();
    await waitFor(async () => (await cell(cluster.cqWorker, 8)) === cluster.cqQueue && (await cell(cluster.cqWorker, 7)) === '2'
      && (await cell(cluster.pyWorker, 7)) === '1', 10_000, () => 'queues or concurrency not shown');
    expect(await cell(cluster.cqWorker, 6)).toBe('threads');
    await shoot('workers');
    await page.goto(`${dashboard.url}/worker/${encodeURIComponent(cluster.cqWorker)}`);
    await page.getByRole('listitem').filter({ hasText: 'dash.ts.sleep' }).first().waitFor();
    await shoot('worker');
  });

  it('offers no action in read-only mode and refuses one sent anyway', async () => {
    await page.goto(`${readOnly.url}/tasks?search=${cluster.suffix}`);
    await page.getByTestId('read-only').waitFor();
    await page.locator(`tr[data-task-id="${ids['cqFail']}"] .state`, { hasText: 'FAILURE' }).waitFor({ timeout: 10_000 });
    for (const name of ['Revoke', 'Terminate', 'Retry']) expect(await page.getByRole('button', { name }).count()).toBe(0);
    await shoot('tasks-read-only');
    await page.goto(`${readOnly.url}/task/${ids['cqFail']}`);
    await page.getByTestId('task-state').waitFor();
    expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    const refused = await page.evaluate(async (id) => {
      const res = await fetch(`/api/ui/task/retry/${id}`, { method: 'POST' });
      return { status: res.status, text: await res.text() };
    }, ids['cqFail']);
    expect(refused).toEqual({ status: 403, text: 'The dashboard is read-only: actions are disabled' });
  });
});
