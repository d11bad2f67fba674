/**
 * Type tests (checked by `tsc --noEmit`): what applyAsync resolves with for signatures, chains,
 * groups, chords and maps, and that a chain's types flow from link to link: each step's first
 * parameter must accept the previous result (unless immutable), and the chain's result is the last
 * step's.
 */
import { expectTypeOf } from 'vitest';
import { Celery, type AsyncResult, type SignatureDict } from '@cq/app';
import { chain, type Chain } from './chain.js';
import { chord, type Chord } from './chord.js';
import { group, type Group } from './group.js';
import type { GroupResult } from './group-result.js';
import { chunks, xmap, xstarmap } from './map.js';
import { immutable, signature, type AnySignature, type Signature } from './signature.js';

const app = new Celery('types');
const add = app.task('t.add', (x: number, y: number) => x + y);
const str = app.task('t.str', (x: number) => String(x));
const len = app.task('t.len', (s: string) => s.length);
const tsum = app.task('t.tsum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
const noArgs = app.task('t.none', () => 'done');

// signatures
expectTypeOf(signature(add, [1])).toEqualTypeOf<Signature<[x: number, y: number], number>>();
expectTypeOf(signature(add, [1]).applyAsync([2])).resolves.toEqualTypeOf<AsyncResult<number>>();

// a chain's result is its last step's result
expectTypeOf(chain(signature(add, [1, 2]), signature(add, [3]))).toEqualTypeOf<Chain<number>>();
expectTypeOf(chain(signature(add, [1, 2]), signature(str)).applyAsync()).resolves.toEqualTypeOf<AsyncResult<string>>();
expectTypeOf(chain(signature(add, [1, 2]), signature(str), signature(len))).toEqualTypeOf<Chain<number>>();
// immutable steps accept any previous result
expectTypeOf(chain(signature(str, [1]), immutable(add, [1, 2]))).toEqualTypeOf<Chain<number>>();
expectTypeOf(chain(signature(add, [1, 2]), immutable(noArgs))).toEqualTypeOf<Chain<string>>();
// untyped steps (dicts, signatures by name) are not checked and give unknown
const dict: SignatureDict = signature(add, [1, 1]).toDict();
expectTypeOf(chain(dict, signature(add, [1]))).toEqualTypeOf<Chain<number>>();
expectTypeOf(chain(signature(add, [1, 1]), dict)).toEqualTypeOf<Chain<unknown>>();
expectTypeOf(chain(signature('py.add', [1]), signature(str))).toEqualTypeOf<Chain<string>>();
// a spread array is not checked link by link; its result type is the elements' (any for AnySignature)
const many: Signature<[x: number, y: number], number>[] = [signature(add, [1, 1])];
expectTypeOf(chain(...many)).toEqualTypeOf<Chain<number>>();
const anyMany: AnySignature[] = many;
expectTypeOf(chain(...anyMany).applyAsync()).resolves.toHaveProperty('get');

// wrong types are rejected
// @ts-expect-error add returns a number; len takes a string
chain(signature(add, [1, 2]), signature(len));
// @ts-expect-error the error is found in the middle of a chain too
chain(signature(add, [1, 2]), signature(str), signature(add, [1]));
// @ts-expect-error a task without parameters cannot take the previous result (use immutable)
chain(signature(add, [1, 2]), signature(noArgs));

// groups: the tuple of their members' results; a group followed by a task is a chord
expectTypeOf(group(signature(add, [1, 1]), signature(str, [2]))).toEqualTypeOf<Group<[number, string]>>();
expectTypeOf(group(signature(add, [1, 1])).applyAsync()).resolves.toEqualTypeOf<GroupResult<[number]>>();
expectTypeOf(chain(group(signature(add, [1, 1]), signature(add, [2, 2])), signature(tsum))).toEqualTypeOf<Chain<number>>();
// @ts-expect-error a group gives a list; str takes a number
chain(group(signature(add, [1, 1]), signature(add, [2, 2])), signature(str));

// chords give their body's result
expectTypeOf(chord([signature(add, [1, 1])], signature(tsum))).toEqualTypeOf<Chord<number>>();
expectTypeOf(chord([signature(add, [1, 1])], signature(tsum)).applyAsync()).resolves.toEqualTypeOf<AsyncResult<number>>();
expectTypeOf(chain(signature(add, [1, 1]), chord([signature(add, [1])], signature(tsum)), signature(str))).toEqualTypeOf<Chain<string>>();

// map, starmap, chunks
expectTypeOf(xmap(str, [1, 2]).applyAsync()).resolves.toEqualTypeOf<AsyncResult<string[]>>();
expectTypeOf(xstarmap(add, [[1, 2], [3, 4]]).applyAsync()).resolves.toEqualTypeOf<AsyncResult<number[]>>();
expectTypeOf(chunks(add, [[1, 2], [3, 4]], 1).applyAsync()).resolves.toEqualTypeOf<GroupResult<number[][]>>();
// @ts-expect-error xstarmap items are the task's argument lists
xstarmap(add, [1, 2]);
// @ts-expect-error xmap items are the task's first argument
xmap(str, ['a']);
