/**
 * A worker's pidbox node (kombu `kombu/pidbox.py` `Node` + Celery `celery/worker/pidbox.py`):
 * consumes `<nodename>.celery.pidbox` (no ack), runs the commands addressed to this node and
 * publishes `{<nodename>: reply}` to `reply_to` with headers `{ticket, clock}` when the request
 * carries a ticket. A handler error becomes `{"error": "<Name>('<message>')"}` (Python's repr), an
 * unknown command `{"error": "KeyError('<name>')"}` as in kombu.
 */
import { Consumer, Producer, type Channel, type Message } from '@cq/kombu';
import type { Mailbox } from './mailbox.js';
import { isAddressedTo } from './mailbox.js';
import { ControlShutdown } from './errors.js';
import type { Panel } from './registry.js';
import type { ControlState } from './state.js';

/** A pidbox request body (protocol doc §9.2). */
export interface ControlRequest {
  method: string;
  arguments?: Record<string, unknown> | null;
  destination?: string[] | null;
  pattern?: string | null;
  matcher?: string | null;
  ticket?: string;
  reply_to?: { exchange: string; routing_key: string } | null;
}

export interface NodeOptions {
  /** Called when `shutdown` is received (after its log line); the worker stops. */
  onShutdown?: (msg: string) => void;
}

export class Node {
  private consumer: Consumer | null = null;
  private channel: Channel | null = null;

  constructor(
    readonly mailbox: Mailbox,
    readonly state: ControlState,
    readonly panel: Panel,
    private readonly options: NodeOptions = {},
  ) {}

  get hostname(): string {
    return this.state.hostname;
  }

  /** Declares the node queue and starts consuming it on `channel`. */
  async listen(channel: Channel): Promise<void> {
    this.consumer = new Consumer(channel, {
      queues: [this.mailbox.nodeQueue(this.hostname)],
      noAck: true,
      accept: ['json'],
      onMessage: (message) => this.onMessage(message, channel),
      onCallbackError: (err) => this.state.app.log.error(`Control command error: ${String(err)}`),
    });
    await this.consumer.consume();
    this.channel = channel;
  }

  /** Stops consuming and deletes the node queue (auto-delete on AMQP; Redis would keep its binding). */
  async close(): Promise<void> {
    const { consumer, channel } = this;
    this.consumer = null;
    this.channel = null;
    await consumer?.cancel().catch(() => undefined);
    await channel?.deleteQueue(this.mailbox.nodeQueue(this.hostname).name).catch(() => undefined);
  }

  private async onMessage(message: Message, channel: Channel): Promise<void> {
    let body: ControlRequest;
    try {
      body = message.decode() as ControlRequest;
    } catch (err) {
      this.state.app.log.error(`Control command error: cannot decode: ${String(err)}`);
      return;
    }
    if (typeof body !== 'object' || body === null || typeof body.method !== 'string') return;
    this.state.clock.adjust(message.headers['clock']);
    if (!isAddressedTo(this.hostname, body)) return;
    await this.dispatch(body, channel);
  }

  /** Runs one request and replies when it carries `reply_to`; returns the reply (kombu `Node.dispatch`). */
  async dispatch(body: ControlRequest, channel: Channel): Promise<unknown> {
    const { log } = this.state.app;
    let reply: unknown;
    try {
      const command = this.panel.get(body.method);
      if (!command) throw Object.assign(new Error(body.method), { pyName: 'KeyError' });
      reply = await command.handler(this.state, body.arguments ?? {});
    } catch (err) {
      if (err instanceof ControlShutdown) {
        this.options.onShutdown?.(err.msg);
        return undefined;
      }
      const e = err as Error & { pyName?: string };
      log.error(`pidbox command error: ${e.name}: ${e.message}`);
      reply = { error: `${e.pyName ?? e.name}('${String(e.message).replace(/'/g, "\\'")}')` };
    }
    if (body.reply_to && body.ticket !== undefined) {
      const exchange = body.reply_to.exchange;
      const producer = new Producer(channel, { serializer: 'json' });
      await producer.publish({ [this.hostname]: reply ?? null }, {
        exchange: this.mailbox.replyExchange.name === exchange ? this.mailbox.replyExchange : exchange,
        routingKey: body.reply_to.routing_key,
        headers: { ticket: body.ticket, clock: this.state.clock.forward() },
        deliveryMode: 1,
      }).catch((err: unknown) => log.error(`pidbox reply to ${exchange} failed: ${String(err)}`));
    }
    return reply;
  }
}
