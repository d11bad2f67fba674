/**
 * @cq/transport-amqp — the native AMQP 0-9-1 transport for RabbitMQ (amqplib), wire-compatible with
 * Python Celery/kombu declarations and header tables. Pass `amqpTransport()` in the app's
 * plugins for `amqp://`, `amqps://` and `pyamqp://` URLs.
 */
export { transport, AmqpTransport } from './transport.js';
export { AmqpChannel, type ExchangeBindingDeclaration, type Declaration as AmqpDeclaration } from './channel.js';
export {
  calculateRoutingKey, stripDelayPrefix, delayedRoute, levelName, delayedDeliveryTopology, delayedDeliveryBindings,
  CELERY_DELAYED_DELIVERY_EXCHANGE, MAX_LEVEL, MAX_NUMBER_OF_BITS_TO_USE,
} from './native-delayed-delivery.js';
export type { AmqpTransportOptions } from './options.js';
export { toWireTable, toWireValue, translatePyAmqpTags } from './field-table.js';
export { int64TagSupported } from './amqplib.js';
export { amqpTransport } from './plugin.js';
