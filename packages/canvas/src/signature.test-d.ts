/** Type tests: what applyAsync resolves with for plain signatures, chains and groups. */
import { expectTypeOf } from 'vitest';
import { Celery, type AsyncResult } from '@cq/app';
import { chain } from './chain.js';
import { group } from './group.js';
import type { GroupResult } from './group-result.js';
import { signature, type Signature } from './signature.js';

const app = new Celery('types');
const add = app.task('t.add', (x: number, y: number) => x + y);

expectTypeOf(signature(add, [1])).toEqualTypeOf<Signature<[x: number, y: number], number>>();
expectTypeOf(signature(add, [1]).applyAsync([2])).resolves.toEqualTypeOf<AsyncResult<number>>();
expectTypeOf(chain<number>(signature(add, [1, 2]), signature(add, [3])).applyAsync()).resolves.toEqualTypeOf<AsyncResult<number>>();
expectTypeOf(group(signature(add, [1, 1])).applyAsync()).resolves.toEqualTypeOf<GroupResult<unknown[]>>();
