/**
 * What `cq inspect`, `cq control` and `cq status` share (Celery `celery/bin/control.py`): the
 * `-t/--timeout`, `-d/--destination` and `-j/--json` options, turning positional words into a
 * command's keyword arguments from its metadata, and printing replies as Celery does:
 *
 * ```
 * ->  w1@host: OK
 *         pong
 *
 * 1 node online.
 * ```
 * No reply within the timeout exits 69 (`EX_UNAVAILABLE`) with "No nodes replied within time constraint".
 */
import type { Command } from 'commander';
import { builtinPanel, controlPanel, kombuJson, type Celery, type ControlCommand, type Reply } from '@cq/celery';
import { CliError } from '../errors.js';
import { parseSeconds } from '../options.js';

/** Celery's `EX_UNAVAILABLE`. */
export const EX_UNAVAILABLE = 69;

export interface RemoteFlags {
  timeout?: string;
  destination?: string;
  json?: boolean;
}

export function withRemoteFlags(cmd: Command): Command {
  return cmd
    .option('-t, --timeout <s>', 'timeout in seconds waiting for reply', '1.0')
    .option('-d, --destination <nodes>', 'comma separated list of destination node names')
    .option('-j, --json', 'use json as output format');
}

export function remoteOptions(flags: RemoteFlags): { timeout: number; destination: string[] | null } {
  const destination = flags.destination ? flags.destination.split(',').map((s) => s.trim()).filter(Boolean) : null;
  return { timeout: parseSeconds('--timeout', flags.timeout ?? '1.0'), destination: destination && destination.length > 0 ? destination : null };
}

/** The command named `action` of `type` (built-in or registered on the app). @throws CliError listing the choices. */
export function lookup(app: Celery, action: string, type: 'inspect' | 'control'): ControlCommand {
  const panel = builtinPanel().extend(controlPanel(app));
  const command = panel.get(action);
  if (!command || command.type !== type || command.visible === false) {
    const choices = panel.list(type).filter((c) => c.visible !== false).map((c) => c.name);
    throw new CliError(`invalid choice ${JSON.stringify(action)} for ${type}; choose from: ${choices.join(', ')}`);
  }
  return command;
}

/** Positional words → keyword arguments by `args` then `variadic` (Celery `_compile_arguments`). */
export function compileArguments(command: ControlCommand, words: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const rest = [...words];
  for (const [name, type] of command.args ?? []) {
    if (rest.length === 0) break;
    out[name] = convert(rest.shift()!, type, name);
  }
  if (rest.length > 0) {
    if (!command.variadic) throw new CliError(`Command ${JSON.stringify(command.name)} takes arguments: ${command.signature ?? '(none)'}`);
    out[command.variadic] = rest;
  } else if (command.variadic && out[command.variadic] === undefined) {
    out[command.variadic] = [];
  }
  return out;
}

function convert(word: string, type: string, name: string): unknown {
  switch (type) {
    case 'int': {
      const n = Number(word);
      if (!Number.isInteger(n)) throw new CliError(`${name}: expected a whole number, got ${JSON.stringify(word)}`);
      return n;
    }
    case 'float': {
      const n = Number(word);
      if (!Number.isFinite(n)) throw new CliError(`${name}: expected a number, got ${JSON.stringify(word)}`);
      return n;
    }
    case 'bool':
      return /^(1|true|yes|y|on)$/i.test(word);
    case 'json':
      return JSON.parse(word) as unknown;
    default:
      return word;
  }
}

const indent = (text: string, n: number): string => text.split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n');

/** `[status, body]` for one node's reply (Celery `CLIContext.pretty`). */
function pretty(reply: unknown): ['OK' | 'ERROR', string] {
  if (Array.isArray(reply)) return ['OK', reply.length === 0 ? '- empty -' : reply.map((item) => `* ${typeof item === 'string' ? item : kombuJson.stringify(item)}`).join('\n')];
  if (typeof reply === 'object' && reply !== null) {
    const r = reply as Record<string, unknown>;
    if ('ok' in r) return ['OK', indent(pretty(r['ok'])[1], 4)];
    if ('error' in r) return ['ERROR', indent(pretty(r['error'])[1], 4)];
    return ['OK', JSON.stringify(sortKeys(r), null, 4)];
  }
  if (typeof reply === 'string') return ['OK', reply];
  return ['OK', reply === null || reply === undefined ? 'None' : String(reply)];
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
}

/** Prints one `{node: reply}` as Celery's `_say_remote_command_reply`. */
export function sayReply(reply: Reply, showBody: boolean): void {
  const node = Object.keys(reply)[0]!;
  const [status, body] = pretty(reply[node]);
  process.stdout.write(`->  ${node}: ${status}\n`);
  if (showBody && body) process.stdout.write(`${indent(body, 4)}\n`);
}

/** Throws the exit-69 error when nobody answered; else prints `N node(s) online.` unless JSON. */
export function finish(count: number, json: boolean): void {
  if (count === 0) throw new CliError('No nodes replied within time constraint', EX_UNAVAILABLE);
  if (!json) process.stdout.write(`\n${count} ${count === 1 ? 'node' : 'nodes'} online.\n`);
}
