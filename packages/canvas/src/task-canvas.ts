/**
 * Installs the canvas behind `ctx.replace()` and `ctx.addToChord()` into @cq/app when @cq/canvas is
 * imported. @cq/app declares them on the bound task context (`BoundTaskContext`) but cannot import
 * the canvas (dependencies point one way: canvas → app), so it calls what is installed here through
 * `installTaskCanvas`, as `Signature.registerType` lets each composite register its reader.
 */
import { installTaskCanvas, type TaskCanvas } from '@cq/app';
import { addToChord } from './add-to-chord.js';
import { replaceTask } from './replace.js';

/** What @cq/canvas installs into @cq/app: Celery's `Task.replace` and `Task.add_to_chord`. */
export const taskCanvas: TaskCanvas = { replace: replaceTask, addToChord };

installTaskCanvas(taskCanvas);
