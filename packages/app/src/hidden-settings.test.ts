import { describe, expect, it } from 'vitest';
import { filterHiddenSettings } from './hidden-settings.js';

describe('filterHiddenSettings (Celery filter_hidden_settings)', () => {
  it('hides secret names, masks URL passwords and filters mappings deeply', () => {
    const out = filterHiddenSettings({
      broker_url: 'amqp://u:hunter2@h:5671//',
      broker_write_url: ['redis://:w1@a/0', 'redis://:w2@b/0'],
      broker_read_url: 'amqp://u:hunter2@r//',
      result_backend: 'rediss://:hunter2@h:6380/0?ssl_cert_reqs=required',
      redis_password: 'hunter2',
      security_key: 'PEM',
      task_default_routing_key: 'celery',
      broker_use_ssl: { ca_certs: '/ca.pem', certfile: '/c.pem', keyfile: '/k.pem', cert_reqs: 'CERT_REQUIRED' },
      broker_transport_options: { visibility_timeout: 60, sentinel_kwargs: { password: 'hunter2' } },
      worker_concurrency: 4,
    });
    expect(out).toEqual({
      broker_url: 'amqp://u:********@h:5671//',
      broker_write_url: ['redis://:********@a/0', 'redis://:********@b/0'],
      broker_read_url: 'amqp://u:********@r//',
      result_backend: 'rediss://:********@h:6380/0?ssl_cert_reqs=required',
      redis_password: '********',
      security_key: '********',
      task_default_routing_key: '********',
      broker_use_ssl: { ca_certs: '/ca.pem', certfile: '/c.pem', keyfile: '********', cert_reqs: 'CERT_REQUIRED' },
      broker_transport_options: { visibility_timeout: 60, sentinel_kwargs: { password: '********' } },
      worker_concurrency: 4,
    });
    expect(JSON.stringify(out)).not.toContain('hunter2');
  });
});
