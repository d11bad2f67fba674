/**
 * Type-level helpers that let a chain's types flow from link to link (no runtime code).
 *
 * A mutable signature receives its parent's result as its **first** argument, so in
 * `chain(a, b)` the result of `a` must be assignable to the first parameter of `b`; an immutable
 * signature (`immutable()`, Celery `si()`) ignores it. Partial arguments are not tracked: the worker
 * checks them, as in Celery. Signatures by name and signature dicts accept and return `unknown`.
 */
import type { SignatureDict } from '@cq/app';
import type { Signature } from './signature.js';

/** The result type of a signature (`unknown` for a dict). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ResultOf<S> = S extends Signature<any, infer R, any> ? R : unknown;

/**
 * What a signature accepts as its parent's result: anything when immutable, its task's first
 * parameter otherwise (`never` for a task without parameters), `unknown` for a dict.
 */
export type Accepts<S> = S extends { readonly __immutable?: true } ? unknown
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  : S extends Signature<infer A, any, any> ? (A extends [] ? never : A[0]) : unknown;

/** Marks a link whose first parameter does not take the previous result (shown in the type error). */
export interface ChainLinkMismatch<Expected, Got> {
  readonly __chainLinkMismatch: { expected: Expected; got: Got };
}

/**
 * `T` itself when every link accepts the previous result, else `T` with the first offending link
 * replaced by a {@link ChainLinkMismatch} (so the call does not type-check). A previous result of
 * type `unknown` (a dict, a signature by name) is not checked, nor are arrays that are not tuples.
 */
export type CheckChain<T extends readonly unknown[], Prev = never, First extends boolean = true> =
  T extends readonly [infer H, ...infer Rest]
    ? [First] extends [true] ? [H, ...CheckChain<Rest, ResultOf<H>, false>]
      : [unknown] extends [Prev] ? [H, ...CheckChain<Rest, ResultOf<H>, false>]
        : [Prev] extends [Accepts<H>] ? [H, ...CheckChain<Rest, ResultOf<H>, false>]
          : [ChainLinkMismatch<Accepts<H>, Prev>, ...Rest]
    : T;

/** The last element of a tuple (`unknown` for an empty or non-tuple array of unknowns). */
export type LastOf<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? L : T[number];

/** A signature or its dict, as chain/group/chord members. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SigOrDict = Signature<any[], any, unknown> | SignatureDict;

/** The results of a group's members, in order (Celery `GroupResult.get()`). */
export type ResultsOf<T extends readonly unknown[]> = { -readonly [K in keyof T]: ResultOf<T[K]> };
