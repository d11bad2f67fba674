/**
 * `cq events`: watch the cluster through its events (Celery `celery events`). By default a live view
 * of the workers (alive by heartbeat) and the latest tasks, redrawn every `--freq` seconds; with
 * `--dump`, every event printed as it arrives in the format of `celery events --dump`. Sees Python
 * Celery workers started with `-E` (task events) or without (worker heartbeats), and cq workers.
 * Runs until SIGINT/SIGTERM.
 */
import { Command } from 'commander';
import { Dumper, EventReceiver, State, type Celery, type CeleryEvent, type TaskState, type WorkerState } from '@cq/celery';
import { loadApp } from '../load-app.js';
import { applyAppFlags, parsePositiveInt, parseSeconds, withAppFlags, type AppFlags } from '../options.js';

interface EventsFlags extends AppFlags {
  dump?: boolean;
  freq: string;
  tasks: string;
}

export function eventsCommand(): Command {
  return withAppFlags(new Command('events').description('watch worker and task events (live view, or --dump)'))
    .option('-d, --dump', 'print every event as it arrives (celery events --dump)')
    .option('-F, --freq <s>', 'seconds between redraws of the live view', '1.0')
    .option('--tasks <n>', 'latest tasks shown in the live view', '20')
    .action(async (flags: EventsFlags) => {
      const app = applyAppFlags(await loadApp(flags.app), flags);
      const freq = parseSeconds('--freq', flags.freq);
      const taskRows = parsePositiveInt('--tasks', flags.tasks);
      const say = (line: string) => void process.stdout.write(`${line}\n`);
      let handler: (event: CeleryEvent) => void;
      let timer: NodeJS.Timeout | null = null;
      if (flags.dump) {
        const dumper = new Dumper(say);
        say('-> evdump: starting capture...');
        handler = (event) => dumper.onEvent(event);
      } else {
        const state = new State();
        handler = (event) => void state.event(event);
        const draw = () => void process.stdout.write(render(app, state, taskRows));
        timer = setInterval(draw, Math.max(freq, 0.1) * 1000);
        draw();
      }
      const receiver = new EventReceiver({ app, handlers: { '*': handler } });
      await receiver.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      if (timer) clearInterval(timer);
      await receiver.close();
      await app.close();
    });
}

/** One frame of the live view: clears the terminal, then workers and latest tasks. */
function render(app: Celery, state: State, taskRows: number): string {
  const now = Date.now() / 1000;
  const lines = [
    `\x1b[2J\x1b[H-> cq events: ${app.connection().asUri()}  events: ${state.eventCount}  tasks: ${state.taskCount}  ${new Date().toISOString()}`,
    '',
    table(['WORKER', 'STATUS', 'ACTIVE', 'PROCESSED', 'LOADAVG', 'LAST HEARTBEAT'], [...state.workers.values()].map((w) => workerRow(w, now))),
    '',
    table(['UUID', 'NAME', 'STATE', 'WORKER', 'RECEIVED', 'RUNTIME/INFO'], state.tasksByTime({ limit: taskRows }).map(taskRow)),
  ];
  return `${lines.join('\n')}\n`;
}

function workerRow(w: WorkerState, now: number): string[] {
  const last = w.heartbeats[w.heartbeats.length - 1];
  return [
    w.hostname, w.statusString(now), String(w.active ?? ''), String(w.processed ?? ''), (w.loadavg ?? []).join(', '),
    last === undefined ? '-' : `${(now - last).toFixed(1)} s ago`,
  ];
}

function taskRow(t: TaskState): string[] {
  const info = t.state === 'SUCCESS' ? `${(t.runtime ?? 0).toFixed(3)} s -> ${t.result ?? ''}` : t.exception ?? '';
  return [t.uuid, t.name ?? '?', t.state, t.worker?.hostname ?? t.client ?? '', t.received ? new Date(t.received * 1000).toISOString().slice(11, 23) : '', info.slice(0, 60)];
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n') + (rows.length === 0 ? '\n(none yet)' : '');
}
