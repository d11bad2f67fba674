/**
 * The full stack through the @cq/celery meta-package: no broker configured, so the embedded SQLite
 * broker and result backend under ./.cq/ of the working directory; canvas (chain, group, chord) built in.
 * Run a worker with `cq worker -A tasks.ts` and the client beside it, from the same directory.
 */
import { Celery } from '@cq/celery';

export const app = new Celery('full');

/** `x + y`. */
export const add = app.task('full.add', (x: number, y: number) => x + y);

/** `x * y`. */
export const mul = app.task('full.mul', (x: number, y: number) => x * y);

/** The sum of a list: a chord's body receives its header's results in order. */
export const tsum = app.task('full.tsum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
