/** The cq side of the SQS interop tests: the tasks of ts/app.ts, with the SQS transport added. */
import { sqsTransport } from '@cq/transport-sqs';
import { app } from './app.js';

app.use(sqsTransport());

export { app };
export default app;
