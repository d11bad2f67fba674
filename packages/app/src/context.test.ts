import { describe, expect, it } from 'vitest';
import { Celery } from './app.js';
import { bindTaskContext, type TaskCanvas, type TaskContext } from './context.js';
import { CanvasUnavailableError } from './errors.js';

function boundTask(app: Celery) {
  return app.task('t.bound', (ctx, x: number) => ctx.replace({ task: 't.other', args: [x], kwargs: {}, options: {}, subtask_type: null, immutable: false }), { bind: true });
}

function plainContext(): TaskContext {
  return {
    name: 't.bound', request: {} as TaskContext['request'], signal: new AbortController().signal,
    retry(): never {
      throw new Error('no');
    },
    async updateState() {},
  };
}

describe('bindTaskContext (ctx.replace / ctx.addToChord)', () => {
  it('without the canvas plugin, ctx.replace rejects with CanvasUnavailableError naming the plugin', async () => {
    const task = boundTask(new Celery('ctx-test', { broker_url: 'memory://', result_backend: 'memory://' }));
    const ctx = plainContext();
    await expect(task.invoke(ctx, [1], {})).rejects.toBeInstanceOf(CanvasUnavailableError);
    await expect(bindTaskContext(task, ctx).addToChord({ toDict: () => ({ task: 'x', args: [], kwargs: {}, options: {}, subtask_type: null, immutable: false }) }))
      .rejects.toMatchObject({ code: 'CQ_APP_CANVAS_UNAVAILABLE', message: expect.stringContaining('canvas() from @cq/canvas') });
  });

  it("delegates to the app's canvas (set by a plugin) with the task, the same context object, the signature and lazy", async () => {
    const calls: unknown[][] = [];
    const canvas: TaskCanvas = {
      async replace(t, c, sig) {
        calls.push(['replace', t.name, c, sig]);
        throw new Error('replaced');
      },
      async addToChord(t, c, sig, lazy) {
        calls.push(['addToChord', t.name, c, sig, lazy]);
        return 'handle';
      },
    };
    const app = new Celery('ctx-test', { broker_url: 'memory://', result_backend: 'memory://' }, {
      plugins: [{ name: 'test-canvas', install: (a) => { a.canvas = canvas; } }],
    });
    const task = boundTask(app);
    const ctx = plainContext();
    await expect(task.invoke(ctx, [7], {})).rejects.toThrow('replaced');
    const bound = bindTaskContext(task, ctx);
    expect(bound).toBe(ctx);
    const sig = { task: 'y', args: [], kwargs: {}, options: {}, subtask_type: null, immutable: false };
    expect(await bound.addToChord(sig, { lazy: true })).toBe('handle');
    expect(calls).toEqual([
      ['replace', 't.bound', ctx, expect.objectContaining({ task: 't.other', args: [7] })],
      ['addToChord', 't.bound', ctx, sig, true],
    ]);
    // The methods are not enumerable: spreading or cloning the context is unchanged.
    expect(Object.keys(ctx)).not.toContain('replace');
    // Another app in the same process, without the plugin, is not affected.
    await expect(boundTask(new Celery('other')).invoke(plainContext(), [1], {})).rejects.toBeInstanceOf(CanvasUnavailableError);
  });
});
