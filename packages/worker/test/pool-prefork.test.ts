/** The process pool suite (pool-suite.ts) with `prefork` children. */
import { describePool } from './pool-suite.js';

describePool('prefork');
