/**
 * In-process wake-ups for `waitFor`: a backend that stores a state calls `wake(channel)`, and every
 * waiter in this process listening on that channel polls again at once instead of at its next tick.
 * Channels are `<store scope>\0<task id>`, so two backend instances on the same store share them.
 * Other processes are reached by polling (or by a subclass's own notification, e.g. Redis pub/sub).
 */

const listeners = new Map<string, Set<() => void>>();

/** Calls `fn` on every `wake(channel)` until the returned function is called. */
export function listen(channel: string, fn: () => void): () => void {
  let set = listeners.get(channel);
  if (!set) listeners.set(channel, (set = new Set()));
  set.add(fn);
  return () => {
    set.delete(fn);
    if (set.size === 0 && listeners.get(channel) === set) listeners.delete(channel);
  };
}

export function wake(channel: string): void {
  const set = listeners.get(channel);
  if (set) for (const fn of [...set]) fn();
}
