/** The app of the prefork bench: one trivial task. Broker and results come from the command line. */
import { Celery } from '@cq/app';

export const app = new Celery('bench');

app.task('bench.noop', (n: number) => n);
