/** The worker start-up banner, laid out like Celery's so operators recognise it. */
import os from 'node:os';
import { redact, type Worker } from '@cq/celery';

const ART = [
  ' -------------- ',
  '--- ***** ----- ',
  '-- ******* ---- ',
  '- *** --- * --- ',
  '- ** ---------- ',
  '- ** ---------- ',
  '- ** ---------- ',
  '- ** ---------- ',
  '- *** --- * --- ',
  '-- ******* ---- ',
  '--- ***** ----- ',
  ' -------------- ',
];

/** The banner text; `concurrency` shows the pool (`prefork`...) and, with `--autoscale`, `{min=…, max=…}` as Celery does. */
export function banner(worker: Worker, version: string): string {
  const app = worker.app;
  const broker = app.broker;
  const results = app.resultBackendUrl;
  const scale = worker.options.autoscale;
  const concurrency = scale ? `{min=${scale.min}, max=${scale.max}}` : String(worker.pool.limit);
  const right = [
    `${worker.hostname} v${version} (cq)`,
    '',
    `${os.type()}-${os.release()}-${os.arch()} ${new Date().toISOString().replace('T', ' ').slice(0, 19)}`,
    '',
    '[config]',
    `.> app:         ${app.main}`,
    `.> transport:   ${redact(broker.url)}${broker.embedded ? '  (embedded default)' : ''}`,
    `.> results:     ${results ? redact(results) : 'disabled://'}`,
    `.> concurrency: ${concurrency} (${worker.pool.name})`,
    `.> prefetch:    ${worker.prefetchCount || 'unlimited'}`,
    '.> task events: OFF',
    '',
  ];
  const lines = ART.map((art, i) => `${art}${right[i] ?? ''}`.trimEnd());
  lines.push(' -------------- [queues]');
  for (const q of worker.queues) {
    lines.push(`                .> ${q.name.padEnd(16)} exchange=${q.exchange.name}(${q.exchange.type}) key=${q.routingKey}`);
  }
  lines.push('', '[tasks]');
  for (const name of worker.registeredTasks()) lines.push(`  . ${name}`);
  return lines.join('\n') + '\n';
}
