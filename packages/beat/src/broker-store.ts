/**
 * Beat's default schedule state store: the one its broker offers, else beat's SQLite file. On first
 * use it asks the broker's connected transport (through the shared {@link BrokerLink}) for a
 * schedule store with @cq/kombu's capability guard (`isScheduleStoreProvider`): the PostgreSQL
 * transport keeps the state in its database, so a beat moved to another machine (another working
 * directory, no local files) carries on where the last one stopped. A transport without one
 * (Redis, SQLite, AMQP, memory) gets the fallback (the SQLite state file, `scheduleFilename`), and
 * the store releases its hold on the link.
 *
 * While the broker cannot be reached, every method rejects with BeatStoreError (beat logs it and
 * tries again at its next renewal).
 */
import { isScheduleStoreProvider, type ScheduleEntryState, type ScheduleStore } from '@cq/kombu';
import { BrokerChoice, type BrokerLink } from './broker-link.js';
import { BeatStoreError } from './errors.js';

export class BrokerScheduleStore implements ScheduleStore {
  private readonly choice: BrokerChoice<ScheduleStore>;

  /**
   * @param link the broker connection (this store retains it until it falls back or closes).
   * @param scope the state's name in the broker (beat passes its lock key).
   * @param fallback the store to use when the broker offers none.
   */
  constructor(link: BrokerLink, readonly scope: string, fallback: () => ScheduleStore) {
    this.choice = new BrokerChoice(
      link,
      (transport) => (isScheduleStoreProvider(transport) ? transport.scheduleStore(scope) : undefined),
      fallback,
      (err) => new BeatStoreError(`beat schedule state: ${err.message} to read the state there`, { cause: err }),
    );
  }

  /**
   * Chooses the store now (beat does this at start, so a transport that offers neither lock nor
   * store has its connection closed at once, not when the beat first becomes active). Rejects with
   * BeatStoreError while the broker cannot be reached.
   */
  async ready(): Promise<void> {
    await this.choose();
  }

  async load(): Promise<Map<string, ScheduleEntryState>> {
    return (await this.choose()).load();
  }

  async save(name: string, state: ScheduleEntryState): Promise<void> {
    await (await this.choose()).save(name, state);
  }

  async remove(name: string): Promise<void> {
    await (await this.choose()).remove(name);
  }

  async clear(): Promise<void> {
    await (await this.choose()).clear();
  }

  async getMeta(key: string): Promise<string | null> {
    return (await this.choose()).getMeta(key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    await (await this.choose()).setMeta(key, value);
  }

  /** True once the broker's store was chosen; false before {@link ready} and after a fallback. */
  get onBroker(): boolean {
    return this.choice.onBroker;
  }

  /** Closes the chosen store and lets go of the broker connection. */
  async close(): Promise<void> {
    await this.choice.chosen?.close();
    await this.choice.letGo();
  }

  private choose(): Promise<ScheduleStore> {
    return this.choice.get();
  }
}
