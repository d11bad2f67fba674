/**
 * NestJS (on Express): the application module imports `CeleryModule.forRoot(app)` with the shared cq
 * app, and declares the controller and the service it injects. On SIGTERM `nest.close()` runs the
 * modules' shutdown hooks, `CeleryModule`'s closing the cq app, and the process exits 0.
 *
 * Every injection names its token (`@Inject(TasksService)`, `@Inject(CELERY_APP)`), so the example
 * needs `experimentalDecorators` but not `emitDecoratorMetadata`, and runs under tsx or any
 * esbuild-based runner, which do not emit decorator metadata. tsx takes the tsconfig.json of the
 * working directory or above it (here examples/tsconfig.json), so run it from this directory:
 *
 *     cd examples/nestjs && PORT=3000 tsx main.ts
 */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { app } from '../frameworks/tasks.js';
import { AddController } from './add.controller.js';
import { CeleryModule } from './celery.module.js';
import { TasksService } from './tasks.service.js';

@Module({ imports: [CeleryModule.forRoot(app)], controllers: [AddController], providers: [TasksService] })
class AppModule {}

const nest = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
const port = Number(process.env.PORT ?? 3000);
await nest.listen(port, '127.0.0.1');
console.log(`listening on http://127.0.0.1:${port}`);

// Rather than `nest.enableShutdownHooks()`, which closes the same way but then re-raises the signal.
process.once('SIGTERM', () => void nest.close().then(() => process.exit(0)));
