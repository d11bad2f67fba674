/** What the harness uses from cq, in one place. */
export { Celery, createBackend, parseIsoDate } from '@cq/celery';
