/**
 * `cq report [--json]`: information for bug reports (Celery `celery report`, `app.bugreport()`): the
 * versions of cq's packages, Node and the broker driver, the platform, the loaded app module, the
 * transport and result backend in use (passwords shown as `**`), and the settings that differ from
 * the defaults (`app.conf.humanize()`), with secrets hidden by @cq/app's `filterHiddenSettings`
 * (Celery's `filter_hidden_settings`): a key matching `API|TOKEN|KEY|SECRET|PASS|PROFANITIES_LIST|
 * SIGNATURE|DATABASE` (any case) shows `********`, URL passwords are masked, mappings are filtered deeply.
 * `--json` prints the same facts as one JSON object.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { DEFAULTS, filterHiddenSettings, pythonRepr, redact, type Celery } from '@cq/celery';
import { loadApp } from '../load-app.js';
import { applyAppFlags, withAppFlags, type AppFlags } from '../options.js';

/** The driver package of each bundled transport, by URL scheme. */
const DRIVERS: Record<string, [string, string]> = {
  redis: ['@cq/transport-redis', 'ioredis'],
  rediss: ['@cq/transport-redis', 'ioredis'],
  amqp: ['@cq/transport-amqp', 'amqplib'],
  amqps: ['@cq/transport-amqp', 'amqplib'],
  pyamqp: ['@cq/transport-amqp', 'amqplib'],
  sqlite: ['@cq/transport-sqlite', 'better-sqlite3'],
  'sqla+sqlite': ['@cq/transport-sqlite', 'better-sqlite3'],
};

/** The `package.json` path of `name` as seen from `from`, also for packages whose `exports` hide it. */
function packageJsonOf(from: string, name: string): string {
  const require = createRequire(from);
  try {
    return require.resolve(`${name}/package.json`);
  } catch {
    let dir = path.dirname(require.resolve(name));
    while (!existsSync(path.join(dir, 'package.json')) || (createRequire(from)(path.join(dir, 'package.json')) as { name?: string }).name !== name) {
      const up = path.dirname(dir);
      if (up === dir) throw new Error(`no package.json for ${name}`);
      dir = up;
    }
    return path.join(dir, 'package.json');
  }
}

/** The version of the package reached by following `chain` through each package's dependencies, or `?`. */
function versionOf(...chain: string[]): string {
  let from = import.meta.url;
  try {
    for (const name of chain) from = packageJsonOf(from, name);
    return (createRequire(import.meta.url)(from) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** Settings that differ from {@link DEFAULTS} (Celery `Settings.without_defaults()`), by name. */
function changedSettings(app: Celery): Record<string, unknown> {
  const defaults = DEFAULTS as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(app.conf)) {
    if (key.startsWith('_') || typeof value === 'function') continue;
    if (key in defaults && JSON.stringify(defaults[key]) === JSON.stringify(value)) continue;
    out[key] = value;
  }
  return out;
}

export interface Report {
  software: Record<string, string>;
  platform: { system: string; arch: string; kernel_version: string; imp: string };
  loader: string;
  settings: { transport: string; results: string };
  conf: Record<string, unknown>;
}

/** Collects the report of `app`, loaded from `module` (null: the bare app). */
export function bugreport(app: Celery, module: string | null): Report {
  const scheme = app.broker.url.split(':')[0] ?? '';
  const driver = DRIVERS[scheme];
  const software: Record<string, string> = {
    cq: versionOf('@cq/celery'),
    kombu: versionOf('@cq/celery', '@cq/kombu'),
    node: process.versions.node,
    billiard: versionOf('@cq/celery', '@cq/worker', '@cq/billiard'),
    cli: (createRequire(import.meta.url)('../../package.json') as { version: string }).version,
  };
  if (driver) software[driver[1]] = versionOf('@cq/celery', driver[0], driver[1]);
  const results = app.resultBackendUrl;
  return {
    software,
    platform: { system: os.type(), arch: os.arch(), kernel_version: os.release(), imp: `node ${process.version}` },
    loader: module ?? 'default (no -A)',
    settings: { transport: redact(app.broker.url), results: results ? redact(results) : 'disabled' },
    conf: filterHiddenSettings(changedSettings(app)),
  };
}

/** The report laid out as Celery's `BUGREPORT_INFO`. */
export function formatReport(r: Report): string {
  const { cq, kombu, node, billiard, cli, ...drivers } = r.software;
  const driverText = Object.entries(drivers).map(([k, v]) => `${k}:${v}`).join(' ');
  return [
    '',
    `software -> cq:${cq} kombu:${kombu} node:${node}`,
    `            billiard:${billiard} cli:${cli}${driverText ? ` ${driverText}` : ''}`,
    `platform -> system:${r.platform.system} arch:${r.platform.arch}`,
    `            kernel version:${r.platform.kernel_version} imp:${r.platform.imp}`,
    `loader   -> ${r.loader}`,
    `settings -> transport:${r.settings.transport} results:${r.settings.results}`,
    '',
    ...Object.entries(r.conf).map(([k, v]) => `${k}: ${pythonRepr(v)}`),
    '',
  ].join('\n');
}

export function reportCommand(): Command {
  return withAppFlags(new Command('report').description('show information useful in bug reports'))
    .option('--json', 'print the report as JSON')
    .action(async (flags: AppFlags & { json?: boolean }) => {
      const app = applyAppFlags(await loadApp(flags.app), flags);
      try {
        const report = bugreport(app, flags.app ?? null);
        process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
      } finally {
        await app.close();
      }
    });
}
