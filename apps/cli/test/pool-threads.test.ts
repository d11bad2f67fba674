/** `cq worker -P threads`. */
import { describeCliPool } from './pool-suite.js';

describeCliPool('threads', ['-P', 'threads']);
