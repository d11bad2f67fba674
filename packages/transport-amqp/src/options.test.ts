import { parseUrl } from '@cq/kombu';
import { fileURLToPath } from 'node:url';
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

describe('resolveOptions: broker_use_ssl (py-amqp sslopts)', () => {
  const pem = fileURLToPath(import.meta.url); // any readable file: read, not parsed, here

  it('turns TLS on for amqp:// with a dict or true, port 5671, checks on by default', () => {
    const o = resolveOptions(parseUrl('amqp://u:p@broker.local//'), {}, { ca_certs: pem, certfile: pem, keyfile: pem, cert_reqs: 'CERT_REQUIRED', server_hostname: null });
    expect(o.connect).toMatchObject({ protocol: 'amqps', port: 5671, hostname: 'broker.local' });
    expect(o.socket).toMatchObject({ rejectUnauthorized: true, servername: 'broker.local', ca: expect.any(Buffer), cert: expect.any(Buffer), key: expect.any(Buffer) });
    expect(resolveOptions(parseUrl('amqp://h//'), {}, true).connect).toMatchObject({ protocol: 'amqps', port: 5671 });
    expect(resolveOptions(parseUrl('amqp://h//'), {}, null).connect).toMatchObject({ protocol: 'amqp', port: 5672 });
    expect(resolveOptions(parseUrl('amqp://h//'), {}, null).socket).not.toHaveProperty('rejectUnauthorized');
  });

  it('reads cert_reqs as Celery writes it; CERT_NONE skips the checks', () => {
    for (const v of ['CERT_NONE', 0, 'none']) expect(resolveOptions(parseUrl('amqps://h//'), {}, { cert_reqs: v }).socket.rejectUnauthorized).toBe(false);
    for (const v of ['CERT_REQUIRED', 2, 'CERT_OPTIONAL', 1]) expect(resolveOptions(parseUrl('amqps://h//'), {}, { cert_reqs: v }).socket.rejectUnauthorized).toBe(true);
    expect(() => resolveOptions(parseUrl('amqps://h//'), {}, { cert_reqs: 'maybe' })).toThrow(/broker_use_ssl\.cert_reqs "maybe" is not one of CERT_REQUIRED/);
  });

  it('checks the certificate against server_hostname (no SNI for an IP), or not with check_hostname false', () => {
    const o = resolveOptions(parseUrl('amqps://10.0.0.5//'), {}, { server_hostname: 'rabbit.example' });
    expect(o.socket.servername).toBe('rabbit.example');
    expect(resolveOptions(parseUrl('amqps://127.0.0.1//'), {}, {}).socket.servername).toBeUndefined();
    const off = resolveOptions(parseUrl('amqps://h//'), {}, { check_hostname: false }).socket.checkServerIdentity!;
    expect(off('h', {} as never)).toBeUndefined();
  });

  it('names the setting for unknown keys and unreadable files', () => {
    expect(() => resolveOptions(parseUrl('amqps://h//'), {}, { ssl_ca_certs: pem })).toThrow(/unknown key ssl_ca_certs for an AMQP broker: did you mean ca_certs\?/);
    expect(() => resolveOptions(parseUrl('amqps://h//'), {}, { certfile: '/nonexistent/c.pem' }))
      .toThrow(/^broker_use_ssl\.certfile: the file "\/nonexistent\/c\.pem" cannot be read \(ENOENT\)/);
  });
});
