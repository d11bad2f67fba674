/**
 * cq issue 3 on RabbitMQ: a private node is stopped (`rabbitmqctl stop`) and booted again with the
 * same mnesia directory while a worker consumes and a client publishes with publisher confirms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RabbitNode } from '@cq/tooling/testing';
import { expectNothingLost, restartUnderLoad, summary } from './restart-under-load.js';

describe('RabbitMQ restarted under a running worker and a publishing client', () => {
  let rabbit: RabbitNode;
  beforeAll(async () => { rabbit = await RabbitNode.start(); }, 70_000);
  afterAll(async () => { await rabbit?.destroy(); }, 30_000);

  it('both reconnect and carry on: every published task runs, none is lost', async () => {
    const outcome = await restartUnderLoad({
      broker: rabbit.url,
      restart: () => rabbit.restart(),
      clientConfig: { broker_transport_options: { confirm_publish: true } },
    });
    console.info(summary('rabbitmq', outcome));
    expectNothingLost(outcome);
    // Nothing stranded: the durable queue is empty once the worker acked everything and stopped.
    expect(await rabbit.queueDepths()).toMatchObject({ [outcome.queue]: 0 });
  }, 90_000);
});
