/**
 * The app plugin of @cq/transport-sqs: registers the SQS transport for `sqs://` URLs in the app's
 * transport registry. @cq/celery's preset does not include it (it brings the AWS SDK): pass it yourself.
 *
 * ```ts
 * import { Celery, fullStack } from '@cq/celery';
 * import { sqsTransport } from '@cq/transport-sqs';
 * const app = new Celery('proj', { broker_url: 'sqs://' }, { plugins: [...fullStack(), sqsTransport()] });
 * ```
 */
import { transportPlugin, type TransportPlugin } from '@cq/kombu';
import { transport } from './transport.js';

/** The plugin to pass in the app's `plugins` so `sqs://` broker URLs resolve. */
export function sqsTransport(): TransportPlugin {
  return transportPlugin('@cq/transport-sqs', ['sqs'], transport);
}
