/**
 * @cq/canvas — Celery's canvas for cq: signatures, chains, groups and their results, and the
 * worker-side continuation (link callbacks, errbacks, the next link of a chain), wire-compatible with
 * Python Celery's signature dicts and `embed` fields.
 */
export { Signature, signature, immutable, type AnySignature, type CanvasApp, type SignatureInit } from './signature.js';
export { signatureFromDict } from './from-dict.js';
export { Chain, chain } from './chain.js';
export { Group, group } from './group.js';
export { GroupResult } from './group-result.js';
export { Chord, chord, CHORD_UNLOCK_COUNTDOWN } from './chord.js';
export { registerBuiltins, BUILTIN_TASKS } from './builtins.js';
export { RESULT_CHORD_RETRY_INTERVAL } from './chord-unlock.js';
export { continueOnSuccess, continueOnFailure, hasSuccessContinuation, type FinishedRequest, type FailureOptions } from './continuation.js';
export { toApplyOptions, toSignatureOptions, signatureList, type SignatureOptions } from './options.js';
export { CanvasError, SignatureDictError, UnsupportedCanvasError, CanvasUsageError, ChordError, type CanvasErrorOptions } from './errors.js';
export { replaceTask } from './replace.js';
export { addToChord } from './add-to-chord.js';
export { taskCanvas, canvas } from './task-canvas.js';
export { continueOnRevoked } from './revoked.js';
export { XMap, XStarmap, Chunks, xmap, xstarmap, chunks, splitChunks, type MapTarget } from './map.js';
export { descend, chordSize } from './chord.js';
export { type FreezeIds, type ImmutableSignature } from './signature.js';
export { type ResultOf, type Accepts, type CheckChain, type ChainLinkMismatch, type ResultsOf, type SigOrDict } from './types.js';
