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
import type { AsyncResult, CeleryPlugin, TaskCanvas } from '@cq/app';
import { addToChord } from './add-to-chord.js';
import { GroupResult } from './group-result.js';
import { replaceTask } from './replace.js';
import type { CanvasApp } from './signature.js';

/**
 * What the canvas plugin sets as `app.canvas`: Celery's `Task.replace` and `Task.add_to_chord`, and
 * the GroupResult `AsyncResult.children()` makes of a group child.
 */
export const taskCanvas: TaskCanvas = {
  replace: replaceTask,
  addToChord,
  groupResult: (app, id, results) => new GroupResult(id, results as AsyncResult[], app as unknown as CanvasApp),
};

/** The canvas plugin for the app's `plugins` (part of the `@cq/celery` preset). */
export function canvas(): CeleryPlugin {
  return { name: '@cq/canvas', install: (app) => { app.canvas = taskCanvas; } };
}
