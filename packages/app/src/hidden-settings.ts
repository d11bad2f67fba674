/**
 * Secrets kept out of every place settings are shown (`cq report`, `inspect conf`, the banner): Celery's
 * `HIDDEN_SETTINGS` and `filter_hidden_settings` (`celery/app/utils.py`), which `Settings.table()`
 * applies for `celery report` and the `conf` remote-control command.
 *
 * - a key matching `API|TOKEN|KEY|SECRET|PASS|PROFANITIES_LIST|SIGNATURE|DATABASE` (any case) shows
 *   `********` (so do `ssl_keyfile`, `keyfile` and `task_default_routing_key`, as in Celery);
 * - a URL keeps its user and host but not its password (`********`), also in a list: Celery does this
 *   for `*broker_url*` and `*backend*` keys; cq for every string holding `://` (so `broker_read_url`
 *   and `broker_write_url` too, which Celery shows as written);
 * - a mapping is filtered the same way, key by key, before its own key is looked at (as Celery's
 *   `maybe_censor` does), so `broker_transport_options.password` is hidden, `broker_use_ssl.keyfile` too.
 */
import { redact } from '@cq/kombu';

/** Celery's `HIDDEN_SETTINGS`: setting names whose values are never shown. */
export const HIDDEN_SETTINGS = /API|TOKEN|KEY|SECRET|PASS|PROFANITIES_LIST|SIGNATURE|DATABASE/i;

/** What replaces a hidden value, as in Celery. */
export const HIDDEN_MASK = '********';

/** Celery `filter_hidden_settings`: a copy of `conf` with secrets hidden (see the module doc). Pure. */
export function filterHiddenSettings(conf: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(conf).map(([key, value]) => [key, censor(key, value)]));
}

function censor(key: string, value: unknown): unknown {
  if (isMapping(value)) return filterHiddenSettings(value);
  if (HIDDEN_SETTINGS.test(key)) return HIDDEN_MASK;
  if (Array.isArray(value)) return value.map((v: unknown) => maskUrl(v));
  return maskUrl(value);
}

function maskUrl(value: unknown): unknown {
  return typeof value === 'string' && value.includes('://') ? redact(value, HIDDEN_MASK) : value;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
