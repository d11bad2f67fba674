/**
 * The HTTP server (Fastify): access control on every request, Flower's API, `/healthcheck`,
 * `/metrics`, `/api/openapi.json`, the UI's endpoints (tasks, queues, canvas graph, beat schedule,
 * `/api/stats/*` for the overview), and the built UI (`uiDir`) with every other
 * GET answered by its `index.html` (client-side routes). Errors are written as Flower writes them:
 * the status code and a plain-text message.
 *
 * Bodies: JSON (an empty body is `{}`) and form-encoded (`a=1&b=2`, as Flower's control calls send).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { redactUrls } from '@cq/celery';
import { accessHook } from './auth.js';
import type { DashboardContext } from './context.js';
import { ApiError } from './errors.js';
import { openApiDocument } from './openapi.js';
import { beatRoutes } from './routes/beat.js';
import { canvasRoutes } from './routes/canvas.js';
import { controlRoutes } from './routes/control.js';
import { queueRoutes } from './routes/queues.js';
import { statsRoutes } from './routes/stats.js';
import { taskRoutes } from './routes/tasks.js';
import { uiRoutes } from './routes/ui.js';
import { workerRoutes } from './routes/workers.js';

const NOT_BUILT = `<!doctype html><title>cq dashboard</title><p>The dashboard UI is not built: run
<code>corepack pnpm --filter @cq/dashboard build:ui</code>. The API answers under <code>/api/</code>.</p>`;

/** Builds (does not start) the server for `ctx`. */
export async function buildServer(ctx: DashboardContext, version: string): Promise<FastifyInstance> {
  const server = Fastify({ logger: false, forceCloseConnections: true });

  server.removeContentTypeParser('application/json');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body).trim();
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new ApiError(400, `Invalid JSON body: ${(err as Error).message}`), undefined);
    }
  });
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  server.addHook('onRequest', accessHook(ctx.options));
  server.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const status = error instanceof ApiError ? error.statusCode : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    const message = status === 500 ? `Internal error: ${error.name}: ${error.message}` : error.message;
    return reply.code(status).type('text/plain').send(redactUrls(message));
  });

  server.get('/healthcheck', async (_request, reply) => reply.type('text/plain').send('OK'));
  server.get('/metrics', async (_request, reply) => reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.text()));
  server.get('/api/openapi.json', async () => openApiDocument(version));
  taskRoutes(server, ctx);
  controlRoutes(server, ctx);
  workerRoutes(server, ctx);
  uiRoutes(server, ctx);
  statsRoutes(server, ctx);
  queueRoutes(server, ctx);
  canvasRoutes(server, ctx);
  beatRoutes(server, ctx);

  const uiBuilt = existsSync(path.join(ctx.options.uiDir, 'index.html'));
  if (uiBuilt) await server.register(fastifyStatic, { root: ctx.options.uiDir, prefix: '/' });
  server.setNotFoundHandler((request, reply) => {
    if (request.method !== 'GET' || request.url.startsWith('/api/')) return reply.code(404).type('text/plain').send('Not found');
    if (!uiBuilt) return reply.type('text/html').send(NOT_BUILT);
    return reply.sendFile('index.html');
  });
  return server;
}
