/**
 * The Azure Block Blob backend's slice of Celery's settings (`celery/app/defaults.py`, namespace
 * `azureblockblob`), read from the `settings` the app gives a backend (its `conf`), options first.
 * Celery's `azureblockblob_retry_*` settings are left out: Celery 5.2+ (SDK v12) no longer reads them.
 */
import type { KeyValueStoreBackendOptions } from '@cq/backend';

export interface AzureBlockBlobSettings {
  /** Container of the result blobs, created on first use when missing (Celery `azureblockblob_container_name`). Default `'celery'`. */
  azureblockblob_container_name: string;
  /** Put in front of every blob name, e.g. `'results/'` (Celery `azureblockblob_base_path`). Default `''`. */
  azureblockblob_base_path: string;
  /** Seconds to connect (Celery `azureblockblob_connection_timeout`). Default 20. */
  azureblockblob_connection_timeout: number;
  /** Seconds to wait for a reply (Celery `azureblockblob_read_timeout`). Default 120. */
  azureblockblob_read_timeout: number;
}

/** Celery's defaults. */
export const AZUREBLOCKBLOB_DEFAULTS: Readonly<AzureBlockBlobSettings> = Object.freeze({
  azureblockblob_container_name: 'celery',
  azureblockblob_base_path: '',
  azureblockblob_connection_timeout: 20,
  azureblockblob_read_timeout: 120,
});

/** The camelCase options that override the settings of the same meaning. */
export interface AzureBlockBlobSettingOptions extends KeyValueStoreBackendOptions {
  /** Overrides `azureblockblob_container_name` (Celery's `container_name` argument). */
  containerName?: string;
  /** Overrides `azureblockblob_base_path`. */
  basePath?: string;
  /** Overrides `azureblockblob_connection_timeout`, in seconds. */
  connectionTimeout?: number;
  /** Overrides `azureblockblob_read_timeout`, in seconds. */
  readTimeout?: number;
}

/** The settings in effect: options, then the app's settings, then Celery's defaults. Pure. */
export function azureBlockBlobSettings(options: AzureBlockBlobSettingOptions = {}): AzureBlockBlobSettings {
  const conf = options.settings ?? {};
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const seconds = (value: unknown): number | undefined => (typeof value === 'number' && value > 0 ? value : undefined);
  const d = AZUREBLOCKBLOB_DEFAULTS;
  return {
    azureblockblob_container_name: options.containerName || text(conf['azureblockblob_container_name']) || d.azureblockblob_container_name,
    azureblockblob_base_path: options.basePath ?? text(conf['azureblockblob_base_path']) ?? d.azureblockblob_base_path,
    azureblockblob_connection_timeout:
      seconds(options.connectionTimeout) ?? seconds(conf['azureblockblob_connection_timeout']) ?? d.azureblockblob_connection_timeout,
    azureblockblob_read_timeout: seconds(options.readTimeout) ?? seconds(conf['azureblockblob_read_timeout']) ?? d.azureblockblob_read_timeout,
  };
}

/**
 * Celery ≥ 5.3 `_add_global_keyprefix`: `result_backend_transport_options.global_keyprefix` goes
 * before every key, followed by `_` unless it ends in one of `:_-.`. `''` when not set.
 */
export function globalKeyPrefix(settings: Readonly<Record<string, unknown>> | undefined): string {
  const options = settings?.['result_backend_transport_options'] as { global_keyprefix?: unknown } | undefined;
  const prefix = typeof options?.global_keyprefix === 'string' ? options.global_keyprefix : '';
  return !prefix || ':_-.'.includes(prefix.slice(-1)) ? prefix : `${prefix}_`;
}
