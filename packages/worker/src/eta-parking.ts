/**
 * Broker-side ETA, the worker's part (cq, beyond Celery; the model is in @cq/kombu
 * `eta-parking.ts`). A task message whose `eta` is further away than its channel's horizon — sent by
 * a client that did not park it, such as Python Celery — is handed back to the broker to be parked
 * until due, instead of being held in worker memory (Celery's way, see `eta-schedule.ts`). The
 * channel parks it and settles the delivery in that order (Redis: one script), so a crash between
 * the two gives a duplicate at worst, never a loss. When it comes back, due or nearly so, the
 * worker holds it on its timer for what is left and runs it.
 *
 * Only channels with the {@link EtaParkingChannel} capability park (Redis, SQLite); on other
 * brokers, or with `store_eta: false`, nothing changes.
 */
import { isEtaParkingChannel, type Message } from '@cq/kombu';
import type { Logger } from '@cq/app';

/**
 * Parks `message` on its broker until `eta` (ms since the epoch) when its channel can and the ETA is
 * past the channel's horizon; resolves true when parked (the message is then settled). A broker
 * failure is logged and resolves false: the caller holds the message as usual.
 */
export async function parkIfFar(message: Message, eta: number, what: string, log: Logger): Promise<boolean> {
  const channel = message.channel;
  if (!isEtaParkingChannel(channel)) return false;
  const horizon = channel.etaHorizon;
  if (horizon === null || eta - Date.now() <= horizon * 1000) return false;
  try {
    if (!(await channel.parkDelivery(message.deliveryTag, eta))) return false;
  } catch (err) {
    log.warn(`Could not park ${what} on the broker until its ETA (${err instanceof Error ? err.message : String(err)}); holding it in memory`);
    return false;
  }
  message.state = 'ACK';
  log.debug(`Task ${what} parked on the broker until ${new Date(eta).toISOString()}`);
  return true;
}
