/**
 * `POST /api/add {"x": 2, "y": 3}`: enqueues `frameworks.add` and answers 202 with the task's id and
 * state; with `?wait=1` it waits up to 10 s and answers 200 with the result. A body that is not two
 * numbers answers 400. The task's state and result are at `GET /api/result/<id>`.
 */
import { add, operands, taskStatus, waitForStatus } from '../../../../frameworks/tasks.js';

export async function POST(request: Request): Promise<Response> {
  const args = operands(await request.json().catch(() => null));
  if (!args) return Response.json({ error: 'expected a JSON body {"x": number, "y": number}' }, { status: 400 });
  const result = await add.applyAsync(args); // resolves once the broker has the message
  if (new URL(request.url).searchParams.get('wait')) return Response.json(await waitForStatus(result));
  return Response.json(await taskStatus(result), { status: 202 });
}
