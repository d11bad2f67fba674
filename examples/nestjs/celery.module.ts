/**
 * `CeleryModule.forRoot(app)`: a global Nest module that provides a cq app under the `CELERY_APP`
 * token, for any provider or controller to take with `@Inject(CELERY_APP)`, and closes the app's
 * broker and backend connections when Nest shuts down (`nest.close()`, or a signal once
 * `enableShutdownHooks()` is on).
 */
import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Celery } from '@cq/app';

/** The injection token of the cq app. */
export const CELERY_APP = Symbol('CELERY_APP');

@Module({})
export class CeleryModule implements OnApplicationShutdown {
  constructor(@Inject(CELERY_APP) private readonly app: Celery) {}

  /** The module providing `app` (a `Celery` of `@cq/app` or `@cq/celery`) to the whole application. */
  static forRoot(app: Celery): DynamicModule {
    return {
      module: CeleryModule,
      global: true,
      providers: [{ provide: CELERY_APP, useValue: app }],
      exports: [CELERY_APP],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.app.close();
  }
}
