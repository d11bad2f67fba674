/**
 * @cq/control — remote control for cq, wire-compatible with Celery's: the pidbox mailbox
 * (`celery.pidbox` fanout, `<node>.celery.pidbox` queues, `reply.celery.pidbox` replies), the
 * `Control`/`Inspect` client, and the worker side: the `Node` that answers, the command `Panel`
 * with Celery's built-in commands, the revoked set and its `--statedb` file.
 */
export { Control, type BroadcastOptions, type Reply } from './control.js';
export { control } from './plugin.js';
export { Inspect, type InspectOptions } from './inspect.js';
export { Mailbox, isAddressedTo, type MailboxOptions } from './mailbox.js';
export { Node, type ControlRequest, type NodeOptions } from './node.js';
export { Panel, controlPanel, type ControlCommand, type ControlCommandInit, type ControlHandler, type ArgType } from './registry.js';
export { builtinPanel, BUILTIN_COMMANDS } from './commands/builtins.js';
export type { ControlState, RequestInfo } from './state.js';
export { RevokedSet, REVOKES_MAX, REVOKE_EXPIRES } from './revoked.js';
export { StateDb } from './statedb.js';
export { CONTROL_DEFAULTS, controlSettings, type ControlSettings } from './settings.js';
/** The app's Lamport clock class (`app.clock`), from @cq/kombu. */
export { LamportClock } from '@cq/kombu';
export { ControlError, UnknownCommandError, ControlArgumentError, StateDbError, ControlShutdown } from './errors.js';
