/**
 * A private virtual host on the shared RabbitMQ node (127.0.0.1:5672, user guest) for one test file.
 * Names Celery fixes — the delay exchanges and queues `celery_delayed_*` of native delayed delivery —
 * then stay apart from other test files and from other runs, and deleting the vhost deletes every
 * queue, exchange, binding and message made in it. Driven by `rabbitmqctl` (needs root, as the
 * tests run here; about 1 s per call), which also lists what the broker holds, with the wire type of
 * each queue argument (`--formatter json`).
 */
import { randomUUID } from 'node:crypto';
import { requireCommand } from './peers.js';
import { execFileTracked } from './processes.js';

/** What `rabbitmqctl list_<kind>` can list inside one vhost. */
export type RabbitListKind = 'queues' | 'exchanges' | 'bindings' | 'consumers';

export class RabbitVhost {
  private constructor(readonly name: string) {}

  /**
   * Adds vhost `<prefix>-<random>` and gives user guest every permission on it.
   * @throws MissingPeerError naming `apt-get install -y rabbitmq-server` when rabbitmqctl is missing.
   */
  static async create(prefix = 'cqtest'): Promise<RabbitVhost> {
    const vhost = new RabbitVhost(`${prefix}-${randomUUID().slice(0, 8)}`);
    await ctl(['add_vhost', vhost.name]);
    await ctl(['set_permissions', '-p', vhost.name, 'guest', '.*', '.*', '.*']);
    return vhost;
  }

  /** The broker URL of this vhost on 127.0.0.1:5672 as guest. */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(this.name)}`;
  }

  /** `rabbitmqctl list_<kind> -p <vhost> <columns>` as objects (one per row, keyed by column). */
  async list(kind: RabbitListKind, columns: readonly string[]): Promise<Array<Record<string, unknown>>> {
    const out = await ctl([`list_${kind}`, '-p', this.name, '-q', '--formatter', 'json', ...columns]);
    return out.trim() === '' ? [] : JSON.parse(out) as Array<Record<string, unknown>>;
  }

  /** Deletes the vhost and everything in it (connections to it are closed by the broker). */
  async delete(): Promise<void> {
    await ctl(['delete_vhost', this.name]);
  }
}

function ctl(args: string[]): Promise<string> {
  const bin = requireCommand('rabbitmqctl', 'rabbitmq-server');
  return new Promise((resolve, reject) => {
    execFileTracked(bin, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`rabbitmqctl ${args.join(' ')}: ${String(stderr || err.message).trim()}`));
      else resolve(String(stdout));
    });
  });
}
