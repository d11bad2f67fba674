import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseUrl } from '@cq/kombu';
import { RedisConfigurationError } from './errors.js';
import { parseRedisUrl } from './url.js';

const VERIFY = { certReqs: 'required', checkHostname: true, caCertsFile: null, certFile: null, keyFile: null };

describe('parseRedisUrl: TCP URLs', () => {
  it('reads host, port, db, user and password', () => {
    expect(parseRedisUrl('redis://:s3cret@cache.local:6380/11')).toEqual({
      scheme: 'redis', host: 'cache.local', port: 6380, path: null, db: 11, username: null, password: 's3cret', tls: null,
      socketTimeoutMs: null, socketConnectTimeoutMs: null, where: 'cache.local:6380/11', urlSetting: 'the Redis URL',
    });
    expect(parseRedisUrl('redis://alice:pw@h/2')).toMatchObject({ host: 'h', port: 6379, db: 2, username: 'alice', password: 'pw' });
  });

  it('defaults to localhost:6379 db 0, with or without a trailing slash', () => {
    for (const url of ['redis://', 'redis://localhost', 'redis://localhost/', 'redis://localhost:6379//']) {
      expect(parseRedisUrl(url)).toMatchObject({ host: 'localhost', port: 6379, db: 0, path: null, username: null, password: null });
    }
  });

  it('URL-decodes user names and passwords', () => {
    expect(parseRedisUrl('redis://us%40er:p%40ss%3Aw%2Frd@h:1/0')).toMatchObject({ username: 'us@er', password: 'p@ss:w/rd' });
  });

  it('takes the db from ?db= or ?virtual_host=, over the path', () => {
    expect(parseRedisUrl('redis://h/1?db=4').db).toBe(4);
    expect(parseRedisUrl('redis://h?virtual_host=5').db).toBe(5);
    expect(parseRedisUrl('redis://h/1?virtual_host=6').db).toBe(6);
  });

  it('reads IPv6 hosts', () => {
    expect(parseRedisUrl('redis://[::1]:6380/2')).toMatchObject({ host: '::1', port: 6380, db: 2, where: '[::1]:6380/2' });
  });

  it('keeps socket_timeout and socket_connect_timeout (seconds) as ms', () => {
    expect(parseRedisUrl('redis://h/0?socket_timeout=2.5&socket_connect_timeout=0.25')).toMatchObject({ socketTimeoutMs: 2500, socketConnectTimeoutMs: 250 });
  });

  it('accepts an already parsed kombu URL', () => {
    expect(parseRedisUrl(parseUrl('redis://:pw@h:7/3'))).toMatchObject({ host: 'h', port: 7, db: 3, password: 'pw' });
  });

  it('accepts and ignores the redis-py options cq has no use for', () => {
    expect(parseRedisUrl('redis://h/0?health_check_interval=10&max_connections=5&retry_on_timeout=true&socket_keepalive=1&client_name=x').db).toBe(0);
  });
});

describe('parseRedisUrl: rediss:// and TLS', () => {
  it('verifies the certificate and host name by default', () => {
    expect(parseRedisUrl('rediss://h:6380/1').tls).toMatchObject(VERIFY);
    expect(parseRedisUrl('redis://h/1').tls).toBeNull();
  });

  it('reads every ssl_cert_reqs spelling of Celery and kombu', () => {
    const reqs = (v: string) => parseRedisUrl(`rediss://h/0?ssl_cert_reqs=${v}`).tls?.certReqs;
    expect([reqs('CERT_REQUIRED'), reqs('required'), reqs('CERT_OPTIONAL'), reqs('optional'), reqs('CERT_NONE'), reqs('none')])
      .toEqual(['required', 'required', 'optional', 'optional', 'none', 'none']);
    expect(parseRedisUrl('rediss://h/0?ssl_cert_reqs=CERT_NONE').tls).toMatchObject({ certReqs: 'none', checkHostname: false });
  });

  it('reads the file options and ssl_check_hostname', () => {
    const url = parseRedisUrl('rediss://h/0?ssl_cert_reqs=required&ssl_ca_certs=%2Fetc%2Fca.pem&ssl_certfile=/c.pem&ssl_keyfile=/k.pem&ssl_check_hostname=false');
    expect(url.tls).toMatchObject({ certReqs: 'required', caCertsFile: '/etc/ca.pem', certFile: '/c.pem', keyFile: '/k.pem', checkHostname: false });
  });

  it('merges the TLS settings dict (broker_use_ssl / redis_backend_use_ssl) over the URL', () => {
    const url = parseRedisUrl('rediss://h/0?ssl_cert_reqs=CERT_NONE&ssl_certfile=/url.pem', {
      tls: { ssl_cert_reqs: 'CERT_REQUIRED', ssl_ca_certs: '/ca.pem' },
    });
    expect(url.tls).toMatchObject({ certReqs: 'required', caCertsFile: '/ca.pem', certFile: '/url.pem', keyFile: null, checkHostname: true });
    expect(parseRedisUrl('rediss://h', { tls: { ssl_cert_reqs: 0 } }).tls?.certReqs).toBe('none'); // Python's ssl.CERT_NONE
  });

  it('names each TLS setting where it was given, for messages', () => {
    const url = parseRedisUrl('rediss://h/0?ssl_ca_certs=/ca.pem', { tls: { ssl_certfile: '/c.pem' }, tlsSetting: 'broker_use_ssl', urlSetting: 'broker_url' });
    expect(url.tls?.names).toEqual({
      caCerts: 'ssl_ca_certs in broker_url', certfile: 'broker_use_ssl.ssl_certfile', keyfile: 'broker_use_ssl.ssl_keyfile',
      hostname: 'broker_use_ssl.ssl_check_hostname', url: 'broker_url',
    });
    expect(url.urlSetting).toBe('broker_url');
    expect(parseRedisUrl('rediss://h/0').tls?.names.caCerts).toBe('ssl_ca_certs');
  });

  it('turns TLS on for redis:// with a settings dict when asked (kombu broker_use_ssl); true adds nothing', () => {
    const url = parseRedisUrl('redis://h/0', { tls: { ssl_cert_reqs: 'CERT_REQUIRED', ssl_ca_certs: '/ca.pem' }, tlsOverRedis: true });
    expect(url.tls).toMatchObject({ certReqs: 'required', caCertsFile: '/ca.pem' });
    expect(parseRedisUrl('redis://h/0', { tls: true, tlsOverRedis: true }).tls).toBeNull();
    expect(parseRedisUrl('rediss://h/0', { tls: true }).tls).toMatchObject({ certReqs: 'required' });
    expect(() => parseRedisUrl('redis+socket:///tmp/s', { tls: { ssl_ca_certs: '/ca.pem' }, tlsOverRedis: true })).toThrow(/use a rediss:\/\/ URL/);
  });

  it('refuses TLS settings on redis:// (Celery E_REDIS_SSL_PARAMS_AND_SCHEME_MISMATCH)', () => {
    expect(() => parseRedisUrl('redis://h/0?ssl_cert_reqs=none')).toThrow(/use a rediss:\/\/ URL/);
    expect(() => parseRedisUrl('redis://h/0', { tls: { ssl_ca_certs: '/ca.pem' } })).toThrow(/use a rediss:\/\/ URL/);
    expect(parseRedisUrl('redis://h/0', { tls: { ssl_ca_certs: undefined } }).tls).toBeNull(); // an empty dict is no TLS setting
  });

  it('refuses bad TLS values, naming the accepted ones', () => {
    expect(() => parseRedisUrl('rediss://h/0?ssl_cert_reqs=maybe')).toThrow(/CERT_REQUIRED, CERT_OPTIONAL, CERT_NONE/);
    expect(() => parseRedisUrl('rediss://h/0?ssl_check_hostname=perhaps')).toThrow(/true or false/);
    expect(() => parseRedisUrl('rediss://h/0?ssl_cert_reqs=none&ssl_check_hostname=true')).toThrow(/drop one of them/);
    expect(() => parseRedisUrl('rediss://h/0', { tls: { ssl_cert_req: 'none' } as never })).toThrow(/did you mean ssl_cert_reqs/);
  });
});

describe('parseRedisUrl: Unix sockets', () => {
  it('reads redis+socket://, socket:// and unix:// with the db in the query', () => {
    for (const scheme of ['redis+socket', 'socket', 'unix']) {
      expect(parseRedisUrl(`${scheme}:///var/run/redis.sock?virtual_host=1`)).toMatchObject({
        scheme, path: '/var/run/redis.sock', db: 1, tls: null, where: 'unix:/var/run/redis.sock?db=1',
      });
    }
    expect(parseRedisUrl('unix:///tmp/r.sock?db=2').db).toBe(2);
    expect(parseRedisUrl('redis+socket:///tmp/r.sock').db).toBe(0);
  });

  it('reads a password and ACL user before the empty host', () => {
    expect(parseRedisUrl('redis+socket://cq:p%40ss@/tmp/r.sock')).toMatchObject({ username: 'cq', password: 'p@ss', path: '/tmp/r.sock' });
  });

  it('refuses a host or a missing path', () => {
    expect(() => parseRedisUrl('redis+socket://tmp/r.sock')).toThrow(/three slashes/);
    expect(() => parseRedisUrl('unix://')).toThrow(/three slashes/);
  });
});

describe('parseRedisUrl: failures', () => {
  it('fails with a RedisConfigurationError (a kombu ConfigurationError) naming the fix', () => {
    const err = catchError(() => parseRedisUrl('redis://h/abc'));
    expect(err).toBeInstanceOf(RedisConfigurationError);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err).toMatchObject({ code: 'CQ_REDIS_CONFIGURATION' });
    expect(err.message).toMatch(/must be a number.*redis:\/\/host:6379\/<db number>/);
    expect(() => parseRedisUrl('amqp://h//')).toThrow(/not a Redis URL: expected redis:\/\//);
    expect(() => parseRedisUrl('not a url')).toThrow(/invalid Redis URL/);
    expect(() => parseRedisUrl('redis://h:99999/0')).toThrow(RedisConfigurationError);
    expect(() => parseRedisUrl('redis://h/0?socket_timeout=soon')).toThrow(/seconds above 0/);
    expect(() => parseRedisUrl('redis://h/0?socket_timeout=0')).toThrow(/seconds above 0/);
    expect(() => parseRedisUrl('redis://h/0?sockettimeout=1')).toThrow(/unknown option sockettimeout/);
  });

  it('never shows the password', () => {
    for (const url of ['redis://:hunter2@h/abc', 'redis://u:hunter2@h/0?nope=1', 'redis://:hunter2@h:99999/0', 'redis+socket://:hunter2@/tmp/s?db=x',
      'rediss://:hunter2@h/0?ssl_cert_reqs=maybe', 'redis://:hunter2@h/0?ssl_ca_certs=/x']) {
      const err = catchError(() => parseRedisUrl(url));
      expect(err).toBeInstanceOf(RedisConfigurationError);
      expect(err.message).not.toContain('hunter2');
      expect(err.message).toContain('**');
    }
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('parseRedisUrl: sentinel:// and redis+cluster://', () => {
  const sentinelOptions = { transportOptions: { master_name: 'mymaster', sentinel_kwargs: { password: 'sentpw' } }, transportOptionsSetting: 'result_backend_transport_options' };

  it('reads a Sentinel list: master login and db from the first URL, Sentinel login from sentinel_kwargs, default port 26379', () => {
    const url = parseRedisUrl('sentinel://:m%40ster@s1/2;sentinel://s2:26380', sentinelOptions);
    expect(url).toMatchObject({ scheme: 'sentinel', password: 'm@ster', db: 2, where: 'sentinel:mymaster@s1:26379,s2:26380/2' });
    expect(url.sentinel).toEqual({ masterName: 'mymaster', username: null, password: 'sentpw', hosts: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }] });
  });

  it('refuses a Sentinel URL without master_name, with another scheme in the list, or with TLS, naming the setting', () => {
    expect(() => parseRedisUrl('sentinel://:pw@s1', { transportOptionsSetting: 'result_backend_transport_options' }))
      .toThrow(/set result_backend_transport_options = \{'master_name'/);
    expect(() => parseRedisUrl('sentinel://:pw@s1', { transportOptionsSetting: 'x' })).not.toThrow(/pw/);
    expect(() => parseRedisUrl('sentinel://s1;redis://s2', sentinelOptions)).toThrow(RedisConfigurationError);
    expect(() => parseRedisUrl('sentinel://s1', { ...sentinelOptions, tls: { ssl_cert_reqs: 'required' } })).toThrow(/not supported/);
  });

  it('reads a cluster URL: seed nodes, the login for every node, db 0 only', () => {
    const url = parseRedisUrl('redis+cluster://u:p%40w@n1:7000,n2:7001,n3?socket_timeout=2');
    expect(url).toMatchObject({ scheme: 'redis+cluster', username: 'u', password: 'p@w', db: 0, socketTimeoutMs: 2000, where: 'cluster:n1:7000,n2:7001,n3:6379' });
    expect(url.cluster).toEqual({ nodes: [{ host: 'n1', port: 7000 }, { host: 'n2', port: 7001 }, { host: 'n3', port: 6379 }] });
    expect(() => parseRedisUrl('redis+cluster://n1:7000/3')).toThrow(/only db 0/);
    expect(() => parseRedisUrl('redis+cluster://')).toThrow(/names no node/);
  });
});
