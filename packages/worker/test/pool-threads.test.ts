/** The process pool suite (pool-suite.ts) with `threads` children. */
import { describePool } from './pool-suite.js';

describePool('threads');
