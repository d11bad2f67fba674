/**
 * The control plugin: gives an app Celery's `app.control` as far as @cq/app uses it, so that
 * `AsyncResult.revoke()` and `GroupResult.revoke()` broadcast `revoke` to the workers. @cq/app
 * cannot import this package (it depends on the app), so it calls `app.control`, which this plugin
 * sets: a {@link Control} of the app made on first use (so settings changed after the app was built
 * count), connected then, and closed by `app.close()`.
 *
 * ```ts
 * const app = new Celery('proj', conf, { plugins: [control()] });
 * await (await add.delay(2, 3)).revoke({ terminate: true });
 * ```
 */
import type { CeleryPlugin } from '@cq/app';
import { Control } from './control.js';

/** The control plugin for the app's `plugins` (part of the `@cq/celery` preset). */
export function control(): CeleryPlugin {
  return {
    name: '@cq/control',
    install: (app) => {
      let made: Control | null = null;
      app.control = {
        revoke: (taskId, options) => (made ??= new Control(app)).revoke(taskId, options),
        close: async () => { await made?.close(); },
      };
    },
  };
}
