/**
 * The remote-control (pidbox) settings, by Celery's names and with its defaults
 * (`celery/app/defaults.py`, the `control` namespace), read from `app.conf` through
 * {@link controlSettings}. Durations are in seconds, as in Celery. The `declare module` below adds them
 * to `CelerySettings` (type only: importing this package changes nothing at runtime).
 */
import { settingsSlice, type CelerySettings } from '@cq/app';

export interface ControlSettings {
  /** Namespace of the mailbox: the exchange is `<control_exchange>.pidbox` (Celery `control_exchange`). Default `'celery'`. */
  control_exchange: string;
  /** Seconds a message waits in a node or reply queue, `x-message-ttl` (Celery `control_queue_ttl`). Default 300.0. */
  control_queue_ttl: number;
  /** Seconds an unused node or reply queue lives, `x-expires` (Celery `control_queue_expires`). Default 10.0. */
  control_queue_expires: number;
}

declare module '@cq/app' {
  // The control slice of Celery's settings: optional in `app.conf` (present only when configured).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the slice's members
  interface CelerySettings extends Partial<ControlSettings> {}
}

/** Celery's defaults of the control settings. */
export const CONTROL_DEFAULTS: Readonly<ControlSettings> = Object.freeze({
  control_exchange: 'celery',
  control_queue_ttl: 300.0,
  control_queue_expires: 10.0,
});

/** The control settings in effect for `conf`: each configured value, else Celery's default. */
export function controlSettings(conf: CelerySettings): ControlSettings {
  return settingsSlice<ControlSettings>(conf, CONTROL_DEFAULTS);
}
