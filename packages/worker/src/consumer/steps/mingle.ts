/**
 * Mingle step (Celery `celery/worker/consumer/mingle.py`): at start-up the worker broadcasts the
 * hidden inspect command `hello` with `{from_node, revoked}` and waits 1 s for the other workers'
 * `{revoked, clock}` replies, merging their revoked ids into its own and adjusting its clock. Logs
 * `mingle: searching for neighbors`, then `mingle: sync with N nodes` or `mingle: all alone`.
 *
 * Off unless the `worker_mingle` setting is true (Celery runs it by default; `--without-mingle`
 * turns it off there): it adds a second to every start. Needs the {@link ControlStep}, whose state
 * (`c.control`) holds the revoked set; the clock is the app's (`app.clock`).
 */
import { Control } from '@cq/control';
import { Step } from '../../bootsteps.js';
import type { Consumer } from '../consumer.js';
import { workerSettings } from '../../settings.js';
import { ControlStep } from './control.js';

export class MingleStep extends Step<Consumer> {
  static override readonly label = 'Mingle';
  static override readonly requires = [ControlStep];

  override includeIf(c: Consumer): boolean {
    return !c.worker.options.withoutMingle && workerSettings(c.app.conf).worker_mingle;
  }

  override async start(c: Consumer): Promise<void> {
    const state = c.control;
    if (!state || !c.connection?.transport.capabilities.fanout) return; // no broadcast to ask with (Control said so)
    const log = c.worker.log;
    log.info('mingle: searching for neighbors');
    const control = new Control(c.app);
    try {
      const replies = (await control.inspect({ timeout: 1.0 }).hello(c.worker.hostname, state.revoked.toJSON())) ?? {};
      delete replies[c.worker.hostname];
      const nodes = Object.entries(replies).filter(([, r]) => r !== null && typeof r === 'object');
      if (nodes.length === 0) {
        log.info('mingle: all alone');
        return;
      }
      for (const [node, reply] of nodes) {
        const { revoked, clock } = reply as { revoked?: unknown; clock?: unknown };
        log.info(`sync with ${node}`);
        c.app.clock.adjust(clock);
        if (revoked) state.revoked.merge(revoked);
      }
      log.info(`mingle: sync with ${nodes.length} nodes`);
    } catch (err) {
      log.error(`mingle failed: ${String(err)}`);
    } finally {
      await control.close().catch(() => undefined);
    }
  }
}
