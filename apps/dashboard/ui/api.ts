/**
 * The UI's side of the HTTP API: typed fetches (same origin, so basic auth travels with the
 * browser's credentials), the live-update stream, and small formatters.
 */
import { useEffect, useRef } from 'react';

// The server's own declarations, from modules that import nothing (the UI's tsconfig checks them too);
// type-only imports are erased by Vite's build.
import type { BeatEntryView as BeatEntry, BeatScheduleView as BeatSchedule } from '../src/beat-view.js';
import type { CanvasGraph, GraphNode } from '../src/canvas-graph.js';

export type { BeatEntry, BeatSchedule, CanvasGraph, GraphNode };

/** A task as `/api/tasks` shapes it (Celery's `Task.as_dict()`). */
export interface Task {
  uuid: string;
  name: string | null;
  state: string;
  received: number | null;
  sent: number | null;
  started: number | null;
  succeeded: number | null;
  failed: number | null;
  retried: number | null;
  revoked: number | null;
  rejected: number | null;
  args: string | null;
  kwargs: string | null;
  eta: string | null;
  expires: string | null;
  retries: number | null;
  worker?: string | null;
  result: string | null;
  exception: string | null;
  timestamp: number | null;
  runtime: number | null;
  traceback: string | null;
  client: string | null;
  root_id: string | null;
  parent_id: string | null;
  children: string[];
}

export interface TaskEvent {
  type: string;
  timestamp: number | null;
  hostname: string | null;
  fields: Record<string, unknown>;
}

export interface Worker {
  hostname: string;
  alive: boolean;
  pid: number | null;
  freq: number | null;
  active: number | null;
  processed: number | null;
  loadavg: number[] | null;
  sw_ident: string | null;
  sw_ver: string | null;
  sw_sys: string | null;
  last_heartbeat: number | null;
  info: Record<string, unknown> | null;
}

/** Task events per interval (`/api/stats/throughput`). */
export interface Throughput {
  interval: number;
  since: number;
  until: number;
  times: number[];
  series: Record<'received' | 'succeeded' | 'failed' | 'retried' | 'revoked' | 'rejected', number[]>;
  totals: Record<'received' | 'succeeded' | 'failed' | 'retried' | 'revoked' | 'rejected', number>;
}

export interface QueueView {
  name: string;
  messages: number;
  consumers: { worker: string; alive: boolean }[];
}

/** Task states still in progress: they can be revoked. */
export const UNREADY = new Set(['PENDING', 'RECEIVED', 'STARTED', 'RETRY']);

async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (!res.ok) throw new Error(text || `${res.status} ${res.statusText}`);
  return JSON.parse(text) as T;
}

export const api = {
  config: () => request<{ readOnly: boolean }>('GET', '/api/ui/config'),
  tasks: (query: URLSearchParams) => request<{ total: number; tasks: Task[] }>('GET', `/api/ui/tasks?${query.toString()}`),
  task: (id: string) => request<{ task: Task; events: TaskEvent[]; children: string[] }>('GET', `/api/ui/task/${encodeURIComponent(id)}`),
  taskTypes: () => request<{ 'task-types': string[] }>('GET', '/api/task/types'),
  workers: () => request<Worker[]>('GET', '/api/ui/workers'),
  revoke: (id: string, terminate: boolean) => request<{ message: string }>('POST', `/api/task/revoke/${encodeURIComponent(id)}?terminate=${terminate}`),
  retry: (id: string) => request<{ 'task-id': string }>('POST', `/api/ui/task/retry/${encodeURIComponent(id)}`),
  throughput: (interval: number, since: number) => request<Throughput>('GET', `/api/stats/throughput?interval=${interval}&since=${since}`),
  taskStates: () => request<{ states: Record<string, number>; total: number }>('GET', '/api/stats/tasks'),
  queues: () => request<QueueView[]>('GET', '/api/ui/queues'),
  graph: (id: string) => request<CanvasGraph>('GET', `/api/ui/task/${encodeURIComponent(id)}/graph`),
  beat: () => request<BeatSchedule>('GET', '/api/ui/beat'),
  /** Sends a task by name (Flower's `async-apply`): `{args, kwargs, countdown, queue, ...}`. */
  apply: (name: string, body: Record<string, unknown>) => request<{ 'task-id': string; state?: string }>('POST', `/api/task/async-apply/${encodeURIComponent(name)}`, body),
  /** A Flower control call (`/api/worker/...`, `/api/task/rate-limit/...`, `/api/task/timeout/...`) with JSON arguments. */
  control: (path: string, args: Record<string, unknown> = {}) => request<{ message: string }>('POST', path, args),
  /** Inspects a worker again (after a control call changed it). */
  refreshWorker: (name: string) => request<unknown>('GET', `/api/workers?refresh=1&workername=${encodeURIComponent(name)}`),
};

/**
 * Calls `refresh` after recorded changes (server-sent events from `/api/ui/stream`), at most once
 * per `ms`; `filter` picks the changes that matter (default: all).
 */
export function useLive(refresh: () => void, filter: (change: { tasks: string[]; workers: string[] }) => boolean = () => true, ms = 300): void {
  const latest = useRef({ refresh, filter });
  latest.current = { refresh, filter };
  useEffect(() => {
    const source = new EventSource('/api/ui/stream');
    let timer: number | null = null;
    source.onmessage = (message: MessageEvent<string>) => {
      const change = JSON.parse(message.data) as { tasks: string[]; workers: string[]; more: boolean };
      if (!change.more && !latest.current.filter(change)) return;
      timer ??= window.setTimeout(() => {
        timer = null;
        latest.current.refresh();
      }, ms);
    };
    return () => {
      source.close();
      if (timer !== null) window.clearTimeout(timer);
    };
  }, [ms]);
}

/** A Unix time (s) as local date and time, or an em dash. */
export const time = (t: number | null | undefined): string => (t ? new Date(t * 1000).toLocaleString() : '—');

/** A Unix time (s) relative to now: `in 12 s`, `3 min ago`; an em dash for none. */
export function relative(t: number | null | undefined, now: number = Date.now() / 1000): string {
  if (t === null || t === undefined) return '—';
  const d = t - now;
  const a = Math.abs(d);
  const text = a < 90 ? `${Math.round(a)} s` : a < 5400 ? `${Math.round(a / 60)} min` : a < 129_600 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86_400)} d`;
  return d >= 0 ? `in ${text}` : `${text} ago`;
}

/** Seconds with three decimals. */
export const seconds = (s: number | null | undefined): string => (s === null || s === undefined ? '—' : `${s.toFixed(3)} s`);
