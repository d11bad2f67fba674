/**
 * Express: `POST /add {"x": 2, "y": 3}` enqueues `frameworks.add` and answers 202 with the task's
 * id and state (`?wait=1`: waits up to 10 s and answers 200 with the result); `GET /result/:id`
 * answers the task's state, and its result once it succeeded. On SIGTERM the server stops taking
 * connections and the cq app closes its broker and backend connections before the process exits.
 *
 *     PORT=3000 tsx examples/express/server.ts
 */
import express from 'express';
import { add, app, operands, taskStatus, waitForStatus } from '../frameworks/tasks.js';

const server = express();
server.use(express.json());

server.post('/add', async (req, res) => {
  const args = operands(req.body);
  if (!args) {
    res.status(400).json({ error: 'expected a JSON body {"x": number, "y": number}' });
    return;
  }
  const result = await add.applyAsync(args); // resolves once the broker has the message
  if (req.query.wait) res.json(await waitForStatus(result));
  else res.status(202).json(await taskStatus(result));
});

server.get('/result/:id', async (req, res) => {
  res.json(await taskStatus(app.asyncResult(req.params.id)));
});

const port = Number(process.env.PORT ?? 3000);
const listener = server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));

process.once('SIGTERM', () => {
  listener.close(() => void app.close().then(() => process.exit(0)));
});
