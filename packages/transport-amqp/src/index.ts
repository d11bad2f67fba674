/**
 * @cq/transport-amqp — the native AMQP 0-9-1 transport for RabbitMQ (amqplib), wire-compatible with
 * Python Celery/kombu declarations and header tables. Pass `amqpTransport()` in the app's
 * plugins for `amqp://`, `amqps://` and `pyamqp://` URLs.
 */
export { transport, AmqpTransport } from './transport.js';
export { AmqpChannel } from './channel.js';
export type { AmqpTransportOptions } from './options.js';
export { toWireTable, toWireValue, translatePyAmqpTags } from './field-table.js';
export { int64TagSupported } from './amqplib.js';
export { amqpTransport } from './plugin.js';
