/**
 * Every setting name the app recognises, for the "unknown setting" warning of {@link Celery}: one
 * static list, the same whatever packages were imported (the typed slices of @cq/worker, @cq/beat,
 * @cq/control and @cq/events are type-only and register nothing at runtime).
 *
 * - {@link CELERY_SETTING_NAMES}: the lowercase (new-style) names Celery 5.6 knows —
 *   `celery/app/defaults.py` flattened, plus the settings its 5.6 configuration guide documents that
 *   the backends and daemon commands read directly (`redis_backend_health_check_interval`,
 *   `worker_logfile`, ...). The old uppercase names (`CELERY_TASK_SERIALIZER`) are not recognised:
 *   cq reads only the new names. Settings cq does not implement are still listed, so a config shared
 *   with Python workers raises no warning.
 * - {@link CQ_SETTING_NAMES}: cq's own settings, documented in the package that reads them.
 */
import { closestName } from '@cq/kombu';

/** The lowercase setting names of Celery 5.6 (see the module doc). */
export const CELERY_SETTING_NAMES: readonly string[] = Object.freeze([
  // top level
  'accept_content', 'result_accept_content', 'enable_utc', 'imports', 'include', 'timezone',
  // beat
  'beat_max_loop_interval', 'beat_schedule', 'beat_scheduler', 'beat_schedule_filename', 'beat_sync_every',
  'beat_cron_starting_deadline', 'beat_logfile', 'beat_pidfile', 'beat_uid', 'beat_gid', 'beat_umask', 'beat_executable',
  // broker
  'broker_url', 'broker_read_url', 'broker_write_url', 'broker_transport', 'broker_transport_options',
  'broker_connection_timeout', 'broker_connection_retry', 'broker_connection_retry_on_startup',
  'broker_connection_max_retries', 'broker_channel_error_retry', 'broker_failover_strategy', 'broker_heartbeat',
  'broker_heartbeat_checkrate', 'broker_login_method', 'broker_native_delayed_delivery_queue_type', 'broker_pool_limit',
  'broker_use_ssl', 'broker_host', 'broker_port', 'broker_user', 'broker_password', 'broker_vhost',
  // result backends
  'cache_backend', 'cache_backend_options',
  'cassandra_entry_ttl', 'cassandra_keyspace', 'cassandra_port', 'cassandra_read_consistency', 'cassandra_servers',
  'cassandra_bundle_path', 'cassandra_secure_bundle_path', 'cassandra_table', 'cassandra_write_consistency',
  'cassandra_auth_provider', 'cassandra_auth_kwargs', 'cassandra_options',
  's3_access_key_id', 's3_secret_access_key', 's3_bucket', 's3_base_path', 's3_endpoint_url', 's3_region',
  'azureblockblob_container_name', 'azureblockblob_retry_initial_backoff_sec', 'azureblockblob_retry_increment_base',
  'azureblockblob_retry_max_attempts', 'azureblockblob_base_path', 'azureblockblob_connection_timeout',
  'azureblockblob_read_timeout',
  'gcs_bucket', 'gcs_project', 'gcs_base_path', 'gcs_ttl', 'gcs_threadpool_maxsize', 'firestore_project',
  'couchbase_backend_settings', 'arangodb_backend_settings', 'mongodb_backend_settings', 'dynamodb_endpoint_url',
  'cosmosdbsql_database_name', 'cosmosdbsql_collection_name', 'cosmosdbsql_consistency_level',
  'cosmosdbsql_max_retry_attempts', 'cosmosdbsql_max_retry_wait_time',
  'redis_backend_use_ssl', 'redis_backend_health_check_interval', 'redis_backend_credential_provider', 'redis_db',
  'redis_host', 'redis_max_connections', 'redis_username', 'redis_password', 'redis_port', 'redis_socket_timeout',
  'redis_socket_connect_timeout', 'redis_retry_on_timeout', 'redis_socket_keepalive', 'redis_client_name',
  'elasticsearch_retry_on_timeout', 'elasticsearch_max_retries', 'elasticsearch_timeout', 'elasticsearch_save_meta_as_text',
  'database_url', 'database_engine_options', 'database_short_lived_sessions', 'database_table_schemas',
  'database_table_names', 'database_create_tables_at_setup',
  'result_backend', 'result_cache_max', 'result_compression', 'result_exchange', 'result_exchange_type', 'result_expires',
  'result_persistent', 'result_extended', 'result_serializer', 'result_backend_transport_options',
  'result_chord_retry_interval', 'result_chord_join_timeout', 'result_backend_max_sleep_between_retries_ms',
  'result_backend_max_retries', 'result_backend_base_sleep_between_retries_ms', 'result_backend_always_retry',
  'result_backend_thread_safe', 'override_backends',
  // control (pidbox)
  'control_queue_ttl', 'control_queue_expires', 'control_exchange', 'control_queue_durable', 'control_queue_exclusive',
  // events
  'event_queue_expires', 'event_queue_ttl', 'event_queue_prefix', 'event_serializer', 'event_exchange',
  'event_queue_durable', 'event_queue_exclusive',
  'events_logfile', 'events_pidfile', 'events_uid', 'events_gid', 'events_umask', 'events_executable',
  // security
  'security_certificate', 'security_cert_store', 'security_key', 'security_key_password', 'security_digest',
  // task
  'task_acks_late', 'task_acks_on_failure_or_timeout', 'task_always_eager', 'task_annotations', 'task_compression',
  'task_create_missing_queues', 'task_create_missing_queue_type', 'task_create_missing_queue_exchange_type',
  'task_inherit_parent_priority', 'task_default_delivery_mode', 'task_default_queue', 'task_default_queue_type',
  'task_default_exchange', 'task_default_exchange_type', 'task_default_routing_key', 'task_default_rate_limit',
  'task_default_priority', 'task_eager_propagates', 'task_ignore_result', 'task_store_eager_result', 'task_protocol',
  'task_publish_retry', 'task_publish_retry_policy', 'task_queues', 'task_queue_max_priority',
  'task_reject_on_worker_lost', 'task_remote_tracebacks', 'task_routes', 'task_send_sent_event', 'task_serializer',
  'task_soft_time_limit', 'task_time_limit', 'task_store_errors_even_if_ignored', 'task_track_started',
  'task_allow_error_cb_on_chord_header',
  // worker
  'worker_agent', 'worker_autoscaler', 'worker_cancel_long_running_tasks_on_connection_loss',
  'worker_soft_shutdown_timeout', 'worker_enable_soft_shutdown_on_idle', 'worker_concurrency', 'worker_consumer',
  'worker_direct', 'worker_disable_rate_limits', 'worker_deduplicate_successful_tasks', 'worker_enable_remote_control',
  'worker_hijack_root_logger', 'worker_log_color', 'worker_log_format', 'worker_lost_wait',
  'worker_max_memory_per_child', 'worker_max_tasks_per_child', 'worker_pool', 'worker_pool_putlocks',
  'worker_pool_restarts', 'worker_proc_alive_timeout', 'worker_prefetch_multiplier', 'worker_disable_prefetch',
  'worker_eta_task_limit', 'worker_enable_prefetch_count_reduction', 'worker_redirect_stdouts',
  'worker_redirect_stdouts_level', 'worker_send_task_events', 'worker_state_db', 'worker_task_log_format',
  'worker_timer', 'worker_timer_precision', 'worker_detect_quorum_queues',
  'worker_logfile', 'worker_pidfile', 'worker_uid', 'worker_gid', 'worker_umask', 'worker_executable',
]);

/**
 * cq's own settings (no Celery counterpart), each documented where it is read:
 * `task_default_max_retries` and `task_default_retry_delay` (@cq/app, Celery's `Task.max_retries` /
 * `Task.default_retry_delay` as settings), `worker_mingle` and `worker_max_body_size` (@cq/worker), `beat_lock_timeout` and
 * `beat_lock_key` (@cq/beat), `security_signature_format` (@cq/app `security.ts`), `task_deduplication_safety_ttl`
 * (@cq/app `deduplication.ts`).
 */
export const CQ_SETTING_NAMES: readonly string[] = Object.freeze([
  'task_default_max_retries', 'task_default_retry_delay', 'worker_mingle', 'worker_max_body_size', 'beat_lock_timeout', 'beat_lock_key',
  'security_signature_format', 'task_deduplication_safety_ttl',
  // Celery 3's error e-mail settings by their lowercase 4.0 names; gone from Celery 5, revived by @cq/notifications.
  'task_send_error_emails', 'admins', 'server_email', 'email_host', 'email_port', 'email_host_user', 'email_host_password',
  'email_timeout', 'email_use_ssl', 'email_use_tls', 'email_charset',
]);

const KNOWN: ReadonlySet<string> = new Set([...CELERY_SETTING_NAMES, ...CQ_SETTING_NAMES]);
const KNOWN_LIST: readonly string[] = [...KNOWN];

/** Whether `name` is a setting Celery 5.6 or cq knows (whether or not cq implements it). */
export function isKnownSetting(name: string): boolean {
  return KNOWN.has(name);
}

/**
 * One warning line per unknown key of `config` (keys with an undefined value are skipped, as
 * `createSettings` skips them), naming the closest known setting:
 * `unknown setting 'task_acks_lat' (did you mean 'task_acks_late'?)`.
 */
export function unknownSettingWarnings(config: object): string[] {
  const given = Object.entries(config).filter(([key, value]) => value !== undefined && !KNOWN.has(key));
  return given.map(([key]) => {
    const closest = closestName(key, KNOWN_LIST);
    return `unknown setting '${key}'${closest ? ` (did you mean '${closest}'?)` : ''}`;
  });
}
