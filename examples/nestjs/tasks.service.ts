/**
 * `TasksService`: what the controllers need from cq, injected where they need it. It sends
 * `frameworks.add` and reads any task's state and result through the app that `CeleryModule`
 * provides.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { AsyncResult, Celery } from '@cq/app';
import { add, taskStatus, waitForStatus, type TaskStatus } from '../frameworks/tasks.js';
import { CELERY_APP } from './celery.module.js';

@Injectable()
export class TasksService {
  constructor(@Inject(CELERY_APP) private readonly celery: Celery) {}

  /** Enqueues `x + y`; resolves once the broker has the message. */
  add(x: number, y: number): Promise<AsyncResult<number>> {
    return add.applyAsync([x, y]);
  }

  /** The task's state now, or (`wait`) once it is ready, within 10 s. */
  status(id: string, wait = false): Promise<TaskStatus> {
    const result = this.celery.asyncResult(id);
    return wait ? waitForStatus(result) : taskStatus(result);
  }
}
