/**
 * `cq report`: the versions, platform, transport and results lines of Celery's bug report, and the
 * changed settings with secrets hidden (Celery `filter_hidden_settings`). Needs no broker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cqRun, repoRoot } from './helpers.js';

const dir = mkdtempSync(path.join(repoRoot, 'apps/cli/.cq-test-report-'));
const appFile = path.join(dir, 'app.ts');
writeFileSync(appFile, `import { Celery } from '@cq/celery';
export const app = new Celery('reporter', {
  broker_url: 'redis://:hunter2@127.0.0.1:6379/0',
  result_backend: 'redis://:hunter2@127.0.0.1:6379/0',
  task_default_queue: 'cqt.rep.q',
  cqt_api_token: 'tok-very-secret',
  database_uri: 'postgres://u:pw-db@h/db',
  beat_options: { aws_secret_key: 'nested-secret', region: 'eu' },
});
`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cq report', () => {
  it('prints the versions and hides secret settings', async () => {
    const { code, stdout, stderr } = await cqRun(['report', '-A', appFile]);
    // Keys no Celery setting has are kept (and reported), after one warning each through the app's logger.
    const warnings = stderr.trim().split('\n').map((line) => line.replace(/^\[[^\]]+: WARNING\/MainProcess\] /, ''));
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^unknown setting 'cqt_api_token' \(did you mean '[a-z_]+'\?\)$/);
    expect(warnings[1]).toBe("unknown setting 'database_uri' (did you mean 'database_url'?)");
    expect(warnings[2]).toMatch(/^unknown setting 'beat_options' \(did you mean 'beat_[a-z_]+'\?\)$/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^software -> cq:\d+\.\d+\.\d+ kombu:\d+\.\d+\.\d+ node:\d+\.\d+\.\d+$/m);
    expect(stdout).toMatch(/billiard:\d+\.\d+\.\d+ cli:\d+\.\d+\.\d+ ioredis:\d+\.\d+\.\d+/);
    expect(stdout).toContain(`platform -> system:`);
    expect(stdout).toContain(`loader   -> ${appFile}`);
    expect(stdout).toContain('settings -> transport:redis://:**@127.0.0.1:6379/0 results:redis://:**@127.0.0.1:6379/0');
    expect(stdout).toContain("task_default_queue: 'cqt.rep.q'");
    expect(stdout).toContain("cqt_api_token: '********'");
    expect(stdout).toContain("database_uri: '********'");
    expect(stdout).toContain("broker_url: 'redis://:********@127.0.0.1:6379/0'");
    expect(stdout).toContain("'aws_secret_key': '********'");
    expect(stdout).toContain("'region': 'eu'");
    expect(stdout).not.toMatch(/hunter2|tok-very-secret|pw-db|nested-secret/);
    expect(stdout).not.toContain('task_serializer');
  });

  it('prints the same facts as JSON with --json, and -b overrides the transport', async () => {
    const { code, stdout } = await cqRun(['report', '-A', appFile, '--json', '-b', 'amqp://guest:guest@127.0.0.1:5672//']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { software: Record<string, string>; settings: Record<string, string>; conf: Record<string, unknown> };
    expect(report.software['node']).toBe(process.versions.node);
    expect(report.software['amqplib']).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.settings['transport']).toBe('amqp://guest:**@127.0.0.1:5672//');
    expect(report.conf['cqt_api_token']).toBe('********');
    expect(stdout).not.toMatch(/hunter2|tok-very-secret/);
  });
});
