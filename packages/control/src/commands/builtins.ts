/** Celery's built-in commands in one {@link Panel}: the inspect ones and the control ones. */
import { Panel, type ControlCommandInit } from '../registry.js';
import { CONTROL_COMMANDS } from './control.js';
import { INSPECT_COMMANDS } from './inspect.js';

export const BUILTIN_COMMANDS: readonly ControlCommandInit[] = [...INSPECT_COMMANDS, ...CONTROL_COMMANDS];

/** A new panel holding every built-in command (custom ones are added to it by the worker). */
export function builtinPanel(): Panel {
  const panel = new Panel();
  for (const c of BUILTIN_COMMANDS) panel.register(c);
  return panel;
}
