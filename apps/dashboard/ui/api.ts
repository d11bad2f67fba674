/**
 * The UI's side of the HTTP API: typed fetches (same origin, so basic auth travels with the
 * browser's credentials), the live-update stream, and small formatters.
 */
import { useEffect, useRef } from 'react';

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

/** Task states still in progress: they can be revoked. */
export const UNREADY = new Set(['PENDING', 'RECEIVED', 'STARTED', 'RETRY']);

async function request<T>(method: string, url: string): Promise<T> {
  const res = await fetch(url, { method, headers: { Accept: 'application/json' } });
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

/** Seconds with three decimals. */
export const seconds = (s: number | null | undefined): string => (s === null || s === undefined ? '—' : `${s.toFixed(3)} s`);
