/**
 * Errors raised by @cq/canvas. Every class has a stable `code` and keeps the original `cause`.
 *
 * ```
 * CanvasError                     CQ_CANVAS
 * ├── SignatureDictError          CQ_CANVAS_SIGNATURE_DICT   a dict is not a signature (missing `task`, bad `args`), or a
 * │                                                          composite one given to `Signature.fromDict` (use `signatureFromDict`)
 * ├── UnsupportedCanvasError      CQ_CANVAS_UNSUPPORTED      a shape cq cannot run (a chain ending in a group inside
 * │                                                          a chord header, a replacement ending in a group in a chain)
 * ├── CanvasUsageError            CQ_CANVAS_USAGE            misuse, e.g. `link` on a group (Celery raises TypeError)
 * └── ChordError                  CQ_CANVAS_CHORD            a chord's header failed or its body could not be sent;
 *                                                            stored as the body's FAILURE (Celery `celery.exceptions.ChordError`)
 * ```
 */

export interface CanvasErrorOptions {
  cause?: unknown;
}

export class CanvasError extends Error {
  readonly code: string = 'CQ_CANVAS';
  constructor(message: string, options: CanvasErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/**
 * A value read as a signature dict (`{task, args, kwargs, options, subtask_type, immutable}`) is not
 * one, or a composite dict (`subtask_type` chain, group, ...) was given to the plain reader `Signature.fromDict`.
 */
export class SignatureDictError extends CanvasError {
  override readonly code = 'CQ_CANVAS_SIGNATURE_DICT';
}

/**
 * A canvas shape cq does not run: a chain ending in a group inside a chord header (Celery 5.2 runs it
 * only on Redis, by saving the header GroupResult and joining it in the worker), `addToChord` with a
 * composite signature, a replacement chain ending in a group.
 */
export class UnsupportedCanvasError extends CanvasError {
  override readonly code = 'CQ_CANVAS_UNSUPPORTED';
}

/** The canvas was used in a way Celery refuses too, e.g. `link` on a group (use a chord). */
export class CanvasUsageError extends CanvasError {
  override readonly code = 'CQ_CANVAS_USAGE';
}

/**
 * A chord could not run its body: a header task failed (`Dependency <id> raised <repr>`) or sending
 * the body failed (`Callback error: <repr>`). Stored as the body's FAILURE with
 * `{exc_type: 'ChordError', exc_module: 'celery.exceptions'}`, as Celery stores it.
 */
export class ChordError extends CanvasError {
  override readonly code = 'CQ_CANVAS_CHORD';
  /** Python module of the class, read when the error is stored. */
  readonly module = 'celery.exceptions';
}
