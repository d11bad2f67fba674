/**
 * `task-sent` from clients (Celery `celery/app/amqp.py` `send_task_message`): when
 * `task_send_sent_event` is true, `app.sendTask` sends one after publishing, with `uuid`, `root_id`,
 * `parent_id`, `name`, `args`, `kwargs` (reprs), `retries`, `eta`, `expires`, `queue`, `exchange`,
 * `routing_key`, hostname `gen<pid>@<host>`. It goes out on the app's publishing channel; one
 * dispatcher per channel. The events plugin (`events()`) sets it as the app's `taskSentHook`;
 * importing @cq/events changes nothing by itself.
 */
import type { Celery, CeleryPlugin } from '@cq/app';
import type { Channel, Connection } from '@cq/kombu';
import { EventDispatcher } from './dispatcher.js';

const dispatchers = new WeakMap<Channel, Promise<EventDispatcher>>();

/** Publishes `task-sent` with `fields` on `via.channel`. Never throws: a failure is kept for the next send (bufferWhileOffline). */
export async function sendTaskSent(app: Celery, fields: Record<string, unknown>, via: { connection: Connection; channel: Channel }): Promise<void> {
  let ready = dispatchers.get(via.channel);
  if (!ready) {
    ready = new EventDispatcher({ app, connection: via.connection, channel: via.channel, hostname: app.origin }).open();
    dispatchers.set(via.channel, ready);
  }
  await (await ready).send('task-sent', fields);
}

/**
 * The events plugin for the app's `plugins` (part of the `@cq/celery` preset): clients of the app
 * send `task-sent` when `task_send_sent_event` is true. Workers send their own events with `-E`
 * (`worker_send_task_events`) whether or not it is given.
 */
export function events(): CeleryPlugin {
  return { name: '@cq/events', install: (app) => { app.taskSentHook = sendTaskSent; } };
}
