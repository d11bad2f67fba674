import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { parseUrl, redact } from './url.js';

describe('parseUrl', () => {
  it('parses AMQP URLs with credentials, port and vhost', () => {
    const u = parseUrl('amqp://guest:p%40ss@localhost:5672/myvhost?heartbeat=30');
    expect(u).toMatchObject({ transport: 'amqp', userid: 'guest', password: 'p@ss', hostname: 'localhost', port: 5672, virtualHost: 'myvhost', query: { heartbeat: '30' } });
  });
  it('keeps the SQLAlchemy rule for SQLite paths: three slashes relative, four absolute', () => {
    expect(parseUrl('sqlite:///.cq/broker.db').virtualHost).toBe('.cq/broker.db');
    expect(parseUrl('sqlite:////var/lib/cq.db').virtualHost).toBe('/var/lib/cq.db');
    expect(parseUrl('sqlite:///.cq/broker.db').hostname).toBeNull();
  });
  it('handles bare schemes and IPv6 hosts', () => {
    expect(parseUrl('memory://')).toMatchObject({ transport: 'memory', hostname: null, port: null, virtualHost: null });
    expect(parseUrl('redis://[::1]:6380/2')).toMatchObject({ hostname: '::1', port: 6380, virtualHost: '2' });
  });
  it('fails fast on malformed URLs and names the expected form', () => {
    expect(() => parseUrl('localhost:5672')).toThrow(ConfigurationError);
    expect(() => parseUrl('localhost:5672')).toThrow(/transport:\/\//);
    expect(() => parseUrl('amqp://h:99999//')).toThrow(/1-65535/);
  });
  it('redacts passwords', () => {
    expect(redact('amqp://guest:secret@host:5672//')).toBe('amqp://guest:**@host:5672//');
    expect(redact('azureblockblob://AccountName=a;AccountKey=k/+=;BlobEndpoint=http://h:1/a')).toBe('azureblockblob://AccountName=a;AccountKey=**;BlobEndpoint=http://h:1/a');
  });
});
