/**
 * The control command registry (Celery `celery/worker/control.py` `Panel`): each command has a name,
 * a type (`inspect` reads, `control` changes), a handler `(state, args) => reply`, and the metadata the
 * CLI uses to turn positional words into keyword arguments (`args`, `variadic`).
 *
 * Custom commands are registered per app, as Celery's `@control_command` / `@inspect_command`:
 *
 * ```ts
 * import { controlPanel } from '@cq/control';
 * controlPanel(app).register({ name: 'increase_prefetch', type: 'control',
 *   args: [['n', 'int']], handler: (state, { n }) => ({ ok: `prefetch + ${n}` }) });
 * // or: new Control(app).command('increase_prefetch', handler, { args: [['n', 'int']] })
 * ```
 * A worker started from that app answers them; a reply should follow Celery's `{ok: ...}` /
 * `{error: ...}` convention. A handler throwing replies `{"error": "<Name>('<message>')"}`.
 */
import type { Celery } from '@cq/app';
import type { ControlState } from './state.js';

/** Argument types the CLI converts positional words to (Celery's `args=[('n', int)]`). */
export type ArgType = 'str' | 'int' | 'float' | 'bool' | 'json';

/** A command handler: `args` are the request's keyword `arguments`; the return value is the reply. */
export type ControlHandler = (state: ControlState, args: Record<string, unknown>) => unknown;

export interface ControlCommand {
  name: string;
  /** `inspect` (read-only, `cq inspect`) or `control` (`cq control`). Default `control`. */
  type: 'inspect' | 'control';
  handler: ControlHandler;
  /** Seconds a client waits for replies when no timeout is given (Celery `default_timeout`). Default 1.0. */
  defaultTimeout?: number;
  /** Positional arguments, in order, with their types. */
  args?: Array<[string, ArgType]>;
  /** Name of the argument that takes the remaining positional words as a list. */
  variadic?: string;
  /** Usage shown by the CLI, e.g. `<task_name> <rate_limit>`. */
  signature?: string;
  /** Hidden from `cq inspect --help` (e.g. `hello`). Default true. */
  visible?: boolean;
  help?: string;
}

export type ControlCommandInit = Omit<ControlCommand, 'type'> & { type?: 'inspect' | 'control' };

export class Panel {
  private readonly commands = new Map<string, ControlCommand>();

  /** Adds or replaces a command; returns it. */
  register(init: ControlCommandInit): ControlCommand {
    const command: ControlCommand = { ...init, type: init.type ?? 'control' };
    this.commands.set(command.name, command);
    return command;
  }

  get(name: string): ControlCommand | undefined {
    return this.commands.get(name);
  }

  has(name: string): boolean {
    return this.commands.has(name);
  }

  /** All commands, sorted by name. */
  list(type?: 'inspect' | 'control'): ControlCommand[] {
    return [...this.commands.values()].filter((c) => type === undefined || c.type === type).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Copies every command of `other` in (later wins). */
  extend(other: Panel): this {
    for (const c of other.list()) this.commands.set(c.name, c);
    return this;
  }
}

const panels = new WeakMap<Celery, Panel>();

/** The panel of custom commands registered for `app` (empty until something registers). */
export function controlPanel(app: Celery): Panel {
  let panel = panels.get(app);
  if (!panel) {
    panel = new Panel();
    panels.set(app, panel);
  }
  return panel;
}
