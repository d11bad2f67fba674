import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseUrl } from '@cq/kombu';
import { resolveOptions, type SqsTransportOptions } from './options.js';

const resolve = (url: string, options: SqsTransportOptions = {}) => resolveOptions(parseUrl(url), { region: 'eu-west-1', ...options });

describe('sqs URL and options', () => {
  it('sqs:// alone: the regional endpoint and the default credential chain', () => {
    const s = resolve('sqs://');
    expect(s.endpoint).toBeUndefined();
    expect(s.credentials).toBeUndefined();
    expect(s.where).toBe('sqs.eu-west-1.amazonaws.com');
    expect(s.tls).toBe(true);
  });

  it('takes URL-encoded keys, and host:port as the endpoint over http as kombu 5.2 (https with is_secure)', () => {
    const s = resolve('sqs://AKIA%2BX:se%2Fcr%40et@127.0.0.1:4566');
    expect(s.credentials).toEqual({ accessKeyId: 'AKIA+X', secretAccessKey: 'se/cr@et' });
    expect(s.endpoint).toBe('http://127.0.0.1:4566');
    expect(s.where).not.toContain('cr');
    expect(resolve('sqs://k:s@sqs.example.com', { is_secure: true }).endpoint).toBe('https://sqs.example.com');
    expect(resolve('sqs://k:s@', {}).endpoint).toBeUndefined();
    expect(resolve('sqs://k:s@h:1', { endpoint_url: 'http://localhost:4566/' }).endpoint).toBe('http://localhost:4566');
  });

  it('has kombu defaults and names bad options', () => {
    const s = resolve('sqs://');
    expect([s.visibilityTimeout, s.refreshInterval, s.waitTimeSeconds, s.pollingInterval, s.base64, s.queueNamePrefix]).toEqual([1800, 900, 10, 1, true, '']);
    expect(resolve('sqs://', { visibility_timeout: 3, visibility_refresh_interval: 0 }).refreshInterval).toBe(0);
    expect(() => resolve('sqs://', { wait_time_seconds: 21 })).toThrow(/wait_time_seconds/);
    expect(() => resolve('sqs://', { visibility_timeout: 10, visibility_refresh_interval: 10 })).toThrow(/below visibility_timeout/);
    expect(() => resolve('sqs://', { is_secure: 'maybe' })).toThrow(ConfigurationError);
    expect(() => resolve('sqs://onlykey@')).toThrow(/no secret/);
  });

  it('refuses sts_role_arn without credentials, naming the way out', () => {
    expect(() => resolve('sqs://', { sts_role_arn: 'arn:aws:iam::1:role/r' })).toThrow(/@aws-sdk\/credential-providers.*fromTemporaryCredentials/);
    const provider = async () => ({ accessKeyId: 'a', secretAccessKey: 'b' });
    expect(resolve('sqs://', { sts_role_arn: 'arn:aws:iam::1:role/r', credentials: provider }).credentials).toBe(provider);
  });

  it('reads predefined_queues by SQS name, with their own keys, and checks .fifo as kombu', () => {
    const s = resolve('sqs://k:s@', {
      predefined_queues: {
        celery: { url: 'https://sqs.eu-west-1.amazonaws.com/1/celery' },
        'orders-v2.fifo': { url: 'https://sqs.eu-west-1.amazonaws.com/1/o.fifo', access_key_id: 'A2', secret_access_key: 'S2', region: 'us-east-2' },
      },
    });
    expect(s.predefined!.get('celery')!.credentials).toEqual({ accessKeyId: 'k', secretAccessKey: 's' });
    expect(s.predefined!.get('orders-v2.fifo')).toMatchObject({ fifo: true, region: 'us-east-2', credentials: { accessKeyId: 'A2', secretAccessKey: 'S2' } });
    expect(() => resolve('sqs://', { predefined_queues: { q: { url: 'https://x/1/q.fifo' } } })).toThrow(/must have a name ending with .fifo/);
    expect(() => resolve('sqs://', { predefined_queues: { 'q.fifo': { url: 'https://x/1/q' } } })).toThrow(/not a FIFO queue/);
  });
});
