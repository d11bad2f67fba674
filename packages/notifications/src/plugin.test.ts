import { describe, expect, it } from 'vitest';
import { Celery, isKnownSetting, task_failure, worker_init, worker_shutdown } from '@cq/app';
import { NOTIFICATION_DEFAULTS, NOTIFICATION_SETTING_NAMES, NotificationConfigError, errorNotifications, notificationSettings } from './index.js';

describe('errorNotifications', () => {
  it('connects nothing until an app installs it, and disconnects on close', async () => {
    const before = [task_failure.receivers, worker_init.receivers, worker_shutdown.receivers];
    const plugin = errorNotifications({ webhook: { url: 'http://127.0.0.1:9/hook' } });
    expect([task_failure.receivers, worker_init.receivers, worker_shutdown.receivers]).toEqual(before);
    const app = new Celery('p', {}, { plugins: [plugin] });
    expect(app.plugins).toContain('@cq/notifications');
    expect([task_failure.receivers, worker_init.receivers, worker_shutdown.receivers]).toEqual(before.map((n) => n + 1));
    expect(await plugin.close()).toBe(true);
    expect([task_failure.receivers, worker_init.receivers, worker_shutdown.receivers]).toEqual(before);
  });

  it('belongs to one app', async () => {
    const plugin = errorNotifications();
    new Celery('one', {}, { plugins: [plugin] });
    expect(() => new Celery('two', {}, { plugins: [plugin] })).toThrow(NotificationConfigError);
    await plugin.close();
  });

  it('refuses options it cannot work with', () => {
    const bad = (options: Parameters<typeof errorNotifications>[0]) => () => errorNotifications(options);
    expect(bad({ webhook: { url: 'ftp://example.com/x' } })).toThrow('webhook.url must be http: or https:, not ftp:');
    expect(bad({ webhook: { url: 'not a url' } })).toThrow(expect.objectContaining({ code: 'CQ_NOTIFY_CONFIG' }) as Error);
    expect(bad({ webhook: { url: 'https://example.com', timeout: 0 } })).toThrow('webhook.timeout must be a positive number');
    expect(bad({ rateLimit: { max: 0 } })).toThrow('rateLimit needs an integer max >= 1');
    expect(bad({ queueSize: 0 })).toThrow('queueSize must be >= 1');
  });
});

describe('settings', () => {
  it("has Celery's defaults and reads configured values", () => {
    expect(notificationSettings(new Celery('s').conf)).toEqual(NOTIFICATION_DEFAULTS);
    const conf = new Celery('s', { email_port: 2525, admins: ['a@example.com'], email_host_password: null }).conf;
    expect(notificationSettings(conf)).toMatchObject({ email_port: 2525, admins: ['a@example.com'], email_host: 'localhost', email_host_password: null });
  });

  it('are known to the app, so they raise no unknown-setting warning', () => {
    for (const name of NOTIFICATION_SETTING_NAMES) expect(isKnownSetting(name), name).toBe(true);
  });
});
