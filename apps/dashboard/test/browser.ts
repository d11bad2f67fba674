/**
 * What the UI tests share: a temporary directory, the UI built into it, two dashboards of the same
 * app (one read-only) serving it, and a headless Debian chromium (driven by playwright-core) with a
 * 1440×900 page. Screenshots go to `<dir>/shots`, or to docs/dashboard/ (the ones the README shows)
 * with CQ_DASHBOARD_SCREENSHOTS=1.
 *
 * ```ts
 * const ui = new DashboardUi('pages');                  // the directory, at once
 * ({ dashboard, readOnly, page } = await ui.start(app)); // in beforeAll
 * await ui.shoot('queues');
 * await ui.close();                                     // in afterAll: browser, dashboards, directory
 * ```
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Celery } from '@cq/celery';
import { Dashboard, type DashboardOptions } from '@cq/dashboard';
import { repoRoot, requireCommand } from '@cq/tooling/testing';
import { buildUi } from '../scripts/build-ui.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

/** The dashboards and the page {@link DashboardUi.start} resolves with. */
export interface StartedUi {
  /** The dashboard with actions, on a free port, its SQLite store in the directory. */
  dashboard: Dashboard;
  /** The same app read-only (`readOnly: true`), on another free port. */
  readOnly: Dashboard;
  page: Page;
}

export class DashboardUi {
  /** The temporary directory (`cq-dashboard-<tag>-…`): built UI, stores, screenshots; removed by {@link close}. */
  readonly dir: string;
  private readonly shots: string;
  private browser: Browser | undefined;
  private started: StartedUi | undefined;
  private readonly dashboards: Dashboard[] = [];

  constructor(tag: string) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), `cq-dashboard-${tag}-`));
    this.shots = process.env['CQ_DASHBOARD_SCREENSHOTS'] ? path.join(repoRoot, 'docs/dashboard') : path.join(this.dir, 'shots');
  }

  /**
   * Builds the UI, starts both dashboards of `app` (`enableEvents: false`: the tests' workers run
   * with `-E`) and opens the page. `options` go to the dashboard with actions only.
   * @throws MissingPeerError naming `apt-get install -y chromium` when /usr/bin/chromium is missing.
   */
  async start(app: Celery, options: Partial<DashboardOptions> = {}): Promise<StartedUi> {
    const executablePath = requireCommand('/usr/bin/chromium', 'chromium');
    mkdirSync(this.shots, { recursive: true });
    const uiDir = await buildUi(path.join(this.dir, 'ui'));
    const start = async (dashboardOptions: Partial<DashboardOptions>): Promise<Dashboard> => {
      const dashboard = await Dashboard.start(app, { port: 0, uiDir, enableEvents: false, ...dashboardOptions });
      this.dashboards.push(dashboard);
      return dashboard;
    };
    const dashboard = await start({ db: path.join(this.dir, 'dashboard.db'), ...options });
    const readOnly = await start({ db: path.join(this.dir, 'read-only.db'), readOnly: true });
    this.browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    const page = await this.browser.newPage({ viewport: { width: 1440, height: 900 } });
    this.started = { dashboard, readOnly, page };
    return this.started;
  }

  /** Screenshots the whole page as `<name>.png` and checks that a real PNG of some size was written. */
  async shoot(name: string): Promise<void> {
    if (!this.started) throw new Error('DashboardUi.shoot before start()');
    const file = path.join(this.shots, `${name}.png`);
    await this.started.page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(10_000);
  }

  /** Closes the browser (first: its page holds the dashboards' event streams), the dashboards, then removes the directory. */
  async close(): Promise<void> {
    await this.browser?.close();
    for (const dashboard of this.dashboards.splice(0)) await dashboard.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
