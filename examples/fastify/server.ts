/**
 * Fastify: the same API as the Express example. `POST /add` validates its body with a JSON schema
 * (400 otherwise), enqueues `frameworks.add` and answers 202 with the task's id and state
 * (`?wait=1`: waits up to 10 s and answers 200 with the result); `GET /result/:id` answers the
 * task's state and result. The cq app is closed by an `onClose` hook, so `fastify.close()` (here on
 * SIGTERM) closes the broker and backend connections too.
 *
 *     PORT=3000 tsx examples/fastify/server.ts
 */
import Fastify from 'fastify';
import { add, app, taskStatus, waitForStatus } from '../frameworks/tasks.js';

const fastify = Fastify();
fastify.addHook('onClose', () => app.close());

const addSchema = {
  body: {
    type: 'object',
    required: ['x', 'y'],
    properties: { x: { type: 'number' }, y: { type: 'number' } },
  },
} as const;

interface AddRequest {
  Body: { x: number; y: number };
  Querystring: { wait?: string };
}

fastify.post<AddRequest>('/add', { schema: addSchema }, async (request, reply) => {
  const result = await add.applyAsync([request.body.x, request.body.y]); // resolves once the broker has it
  if (request.query.wait) return waitForStatus(result);
  return reply.code(202).send(await taskStatus(result));
});

fastify.get<{ Params: { id: string } }>('/result/:id', async (request) => {
  return taskStatus(app.asyncResult(request.params.id));
});

const port = Number(process.env.PORT ?? 3000);
await fastify.listen({ port, host: '127.0.0.1' });
console.log(`listening on http://127.0.0.1:${port}`);

process.once('SIGTERM', () => void fastify.close().then(() => process.exit(0)));
