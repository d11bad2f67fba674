/**
 * Reads a signature dict of any kind into its class (Celery's polymorphic `Signature.from_dict`,
 * which looks `subtask_type` up in `Signature.TYPES`). cq keeps no registry that importing a module
 * fills: the composite classes are named here, in one `switch`.
 *
 * | `subtask_type` | class |
 * |---|---|
 * | `chain` | {@link Chain} |
 * | `group` | {@link Group} |
 * | `chord` | {@link Chord} |
 * | `xmap`, `xstarmap`, `chunks` | {@link XMap}, {@link XStarmap}, {@link Chunks} |
 * | `null`, anything else | a plain {@link Signature} (`Signature.fromDict`) |
 *
 * Celery 5.2 writes xmap, xstarmap and chunks dicts with `subtask_type: null`, so they read as the
 * plain built-in task (`celery.map`, `celery.starmap`, `celery.chunks`), as Python reads them.
 *
 * Import cycles: signature.ts must not import this module (the classes below extend `Signature`
 * and would meet it uninitialised); the composite modules may, since they call it only inside
 * functions, and this module reads the classes only when called.
 */
import type { SignatureDict } from '@cq/app';
import { Chain } from './chain.js';
import { Chord } from './chord.js';
import { Group } from './group.js';
import { Chunks, XMap, XStarmap } from './map.js';
import { Signature, subtaskTypeOf, type AnySignature, type CanvasApp } from './signature.js';

/**
 * A signature from its dict, composites as their class (Celery `Signature.from_dict`); `app` sends
 * it (default none: give one before applying). Extra keys such as the legacy `chord_size` are ignored.
 * @throws SignatureDictError when `dict` has no string `task`, non-list `args`, or lacks what its
 *   composite type needs (`kwargs.tasks` of a chain or group, `kwargs.header` of a chord,
 *   `kwargs.task`/`it` of a map, `kwargs.n` of chunks).
 */
export function signatureFromDict(dict: SignatureDict | Record<string, unknown>, app: CanvasApp | null = null): AnySignature {
  const type = subtaskTypeOf(dict);
  const d = dict as SignatureDict;
  switch (type) {
    case 'chain': return Chain.fromDict(d, app);
    case 'group': return Group.fromDict(d, app);
    case 'chord': return Chord.fromDict(d, app);
    case 'xmap': return XMap.fromDict(d, app);
    case 'xstarmap': return XStarmap.fromDict(d, app);
    case 'chunks': return Chunks.fromDict(d, app);
    default: return Signature.fromDict(d, app);
  }
}
