/**
 * The canvas plugin: gives an app Celery's `Task.replace` and `Task.add_to_chord` behind its bound
 * tasks' `ctx.replace()` and `ctx.addToChord()`. @cq/app declares them on the bound task context
 * (`BoundTaskContext`) but cannot import the canvas (dependencies point one way: canvas → app), so
 * it calls `app.canvas`, which this plugin sets. Importing @cq/canvas changes nothing by itself.
 *
 * ```ts
 * const app = new Celery('proj', conf, { plugins: [canvas()] });
 * ```
 */
import type { CeleryPlugin, TaskCanvas } from '@cq/app';
import { addToChord } from './add-to-chord.js';
import { replaceTask } from './replace.js';

/** What the canvas plugin sets as `app.canvas`: Celery's `Task.replace` and `Task.add_to_chord`. */
export const taskCanvas: TaskCanvas = { replace: replaceTask, addToChord };

/** The canvas plugin for the app's `plugins` (part of the `@cq/celery` preset). */
export function canvas(): CeleryPlugin {
  return { name: '@cq/canvas', install: (app) => { app.canvas = taskCanvas; } };
}
