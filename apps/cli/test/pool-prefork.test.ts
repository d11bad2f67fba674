/** `cq worker` without -P: the default pool is prefork (Celery's). */
import { describeCliPool } from './pool-suite.js';

describeCliPool('prefork', []);
