/**
 * Refused logins fail at once with kombu's AuthenticationError, naming broker_url, never retried and
 * never showing the password (against the shared RabbitMQ on 5672).
 */
import { describe, expect, it } from 'vitest';
import { AuthenticationError, ConfigurationError, Connection } from '@cq/kombu';
import { transport } from '../src/index.js';

async function connectError(url: string): Promise<Error> {
  const conn = new Connection(url, { transport, transportOptions: { interval_start: 0.1 } });
  try {
    await conn.connect();
  } catch (err) {
    return err as Error;
  } finally {
    await conn.close();
  }
  throw new Error(`connected to ${url}`);
}

describe('AMQP login refused', () => {
  it('a wrong password is an AuthenticationError naming the user and broker_url', async () => {
    const started = Date.now();
    const err = await connectError('amqp://guest:hunter2-wrong@127.0.0.1:5672//');
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err).toMatchObject({ code: 'CQ_KOMBU_AUTHENTICATION', user: 'guest', setting: 'broker_url' });
    expect(err.message).toMatch(/^authentication failed for user "guest" at 127\.0\.0\.1:5672 \(ACCESS_REFUSED.*\): check the user and password in broker_url$/);
    expect(err.message).not.toContain('hunter2');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('an unknown vhost is an AuthenticationError naming the vhost', async () => {
    const err = await connectError('amqp://guest:guest@127.0.0.1:5672/cq-no-such-vhost');
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.message).toMatch(/refused vhost "cq-no-such-vhost" for user "guest" \(.*\): check the virtual host in broker_url/);
  });
});
