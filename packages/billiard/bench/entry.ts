/** Bench entry: a trivial handler, so the bench measures the pool's own overhead. */
export function init(): (payload: number) => number {
  return (payload) => payload + 1;
}
