/**
 * Control step (Celery `celery/worker/consumer/control.py` + `celery/worker/pidbox.py`): the
 * worker's pidbox node. It consumes `<nodename>.celery.pidbox` on its own channel and answers
 * Celery's remote control commands (`ping`, `stats`, `active`, `revoke`, `rate_limit`, ...; see
 * @cq/control) and the custom ones registered with `controlPanel(app)` / `new Control(app).command()`.
 *
 * The worker as the commands see it is `c.control` ({@link WorkerControlState}, created with the
 * step): it holds the revoked set (checked by the task strategy when a task is received and when an
 * ETA task comes due), which, with the `worker_state_db` setting (the CLI's `--statedb <file>`), is
 * kept in a file across restarts with the app's clock (Celery's `Persistent`).
 * Revoked ids arriving in the short window between the Tasks step consuming and this step
 * starting are still caught when an ETA task comes due, but not for tasks that run at once.
 * On a transport without fanout (`capabilities.fanout` false: SQS) no pidbox node starts and the
 * worker says so in one warning at start, as Celery leaves its Control step out there.
 */
import type { Channel } from '@cq/kombu';
import { Mailbox, Node, StateDb, builtinPanel, controlPanel } from '@cq/control';
import { Step } from '../../bootsteps.js';
import { WorkerControlState } from '../control-state.js';
import type { Consumer } from '../consumer.js';
import { workerSettings } from '../../settings.js';
import { TasksStep } from './tasks.js';

export class ControlStep extends Step<Consumer> {
  static override readonly label = 'Control';
  static override readonly requires = [TasksStep];
  private channel: Channel | null = null;
  private statedb: StateDb | null = null;

  /** Gives the consumer its remote-control state (`c.control`), so other steps can reach the revoked set. */
  override create(c: Consumer): void {
    c.control = new WorkerControlState(c);
  }

  override async start(c: Consumer): Promise<void> {
    const state = c.control!;
    state.reset();
    const file = workerSettings(c.app.conf).worker_state_db;
    if (file) {
      this.statedb = new StateDb(file, state.revoked, c.app.clock);
      this.statedb.open();
    }
    if (c.strategy) c.strategy.revoked = state.revoked;
    const transport = c.connection!.transport;
    if (!transport.capabilities.fanout) {
      // Celery leaves this step out when the transport cannot do fanout (`supports_exchange_type('fanout')`).
      c.worker.log.warn(`remote control is off: the ${transport.driverType} transport has no fanout exchanges, so inspect/control ` +
        'commands, mingle, gossip and events for monitors cannot reach this worker (as in Celery); use redis:// or amqp:// for them');
      return;
    }
    const panel = builtinPanel().extend(controlPanel(c.app));
    state.node = new Node(Mailbox.fromApp(c.app), state, panel, { onShutdown: () => state.shutdown() });
    this.channel = await c.connection!.channel();
    await state.node.listen(this.channel);
  }

  override async stop(c: Consumer): Promise<void> {
    const state = c.control!;
    await state.node?.close();
    state.node = null;
    await this.channel?.close().catch(() => undefined);
    this.channel = null;
    try {
      this.statedb?.close();
    } catch (err) {
      c.worker.log.error(String(err));
    }
    this.statedb = null;
  }

  override info(c: Consumer): Record<string, unknown> {
    return { revoked: c.control?.revoked.size ?? 0, statedb: workerSettings(c.app.conf).worker_state_db };
  }
}
