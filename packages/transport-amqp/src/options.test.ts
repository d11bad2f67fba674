import { parseUrl } from '@cq/kombu';
import { describe, expect, it } from 'vitest';
import { resolveOptions, retryDelay } from './options.js';

describe('resolveOptions', () => {
  it('maps kombu vhost forms: // and empty mean /', () => {
    expect(resolveOptions(parseUrl('amqp://u:p@h:1234//'), {}).connect).toMatchObject({ hostname: 'h', port: 1234, username: 'u', password: 'p', vhost: '/' });
    expect(resolveOptions(parseUrl('amqp://h'), {}).connect.vhost).toBe('/');
    expect(resolveOptions(parseUrl('pyamqp://h/prod'), {}).connect.vhost).toBe('prod');
    expect(resolveOptions(parseUrl('amqps://h/'), {}).connect).toMatchObject({ protocol: 'amqps', port: 5671 });
  });

  it('reads options in seconds and rejects bad ones', () => {
    const o = resolveOptions(parseUrl('amqp://h//'), { heartbeat: 10, connect_timeout: 2.5, confirm_publish: false, interval_start: 0.5, interval_step: 1, interval_max: 2 });
    expect(o.connect.heartbeat).toBe(10);
    expect(o.socket.timeout).toBe(2500);
    expect(o.confirmPublish).toBe(false);
    expect([0, 1, 2, 5].map((n) => retryDelay(o.retry, n))).toEqual([500, 1500, 2000, 2000]);
    expect(() => resolveOptions(parseUrl('amqp://h//'), { heartbeat: 'x' })).toThrow(/heartbeat/);
    expect(() => resolveOptions(parseUrl('redis://h'), {})).toThrow(/amqp/);
  });
});
