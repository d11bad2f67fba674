/** `GET /api/result/<id>`: the task's state, and its result once it succeeded (`PENDING` for an unknown id). */
import { app, taskStatus } from '../../../../../frameworks/tasks.js';

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  return Response.json(await taskStatus(app.asyncResult(id)));
}
