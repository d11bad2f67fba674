import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { parseUrl, redact, redactUrls } from './url.js';

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
  it('redacts every URL of a failover list, unencoded passwords, secret query options, with any mask', () => {
    expect(redact('amqp://u:p1@h1//;amqp://u:p2@h2//')).toBe('amqp://u:**@h1//;amqp://u:**@h2//');
    expect(redact('redis://:ab/c+d==@cache:6379/0')).toBe('redis://:**@cache:6379/0');
    expect(redact('redis://u:p@ss@h/0')).toBe('redis://u:**@h/0');
    expect(redact('sqs://h/?password=s3&region=x&token=t')).toBe('sqs://h/?password=**&region=x&token=**');
    expect(redact('rediss://u:p@h/0?ssl_keyfile=/k.pem', '********')).toBe('rediss://u:********@h/0?ssl_keyfile=/k.pem');
    expect(redact('redis://h:6379/0')).toBe('redis://h:6379/0');
    expect(redact('sqlite:///.cq/broker.db')).toBe('sqlite:///.cq/broker.db');
    expect(redact('redis://user@h/0')).toBe('redis://user@h/0');
  });
  it('redacts every URL quoted in free text', () => {
    expect(redactUrls('cannot reach "amqp://u:hunter2@h//" nor redis://:x@r/0, see https://docs')).toBe('cannot reach "amqp://u:**@h//" nor redis://:**@r/0, see https://docs');
    expect(redactUrls('no url here')).toBe('no url here');
  });
});
