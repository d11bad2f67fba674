/**
 * The cq side of the argument-schema interop test (test/schema.test.ts): a task whose argument is
 * validated by a Standard Schema before it runs, as Celery 5.5's `pydantic=True` validates a model
 * parameter. Started by `cq worker -A ts/schema-app.ts`; broker and backend come from the CLI.
 *
 * The schema is written out against the Standard Schema interface (what zod, valibot and arktype
 * implement; packages/app/src/schema.test.ts runs those three) because this private test package
 * does not depend on a schema library. It is async, as a schema with async checks is.
 */
import { Celery, type StandardSchema } from '@cq/celery';

export interface User {
  email: string;
  age: number;
}

/** An object with a valid email (lower-cased on the way in) and an integer age of at least 18. */
export const userSchema: StandardSchema<User, User> = {
  '~standard': {
    version: 1,
    vendor: 'cq-interop',
    async validate(value) {
      await Promise.resolve();
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { issues: [{ message: 'expected an object' }] };
      const { email, age } = value as Record<string, unknown>;
      const issues: { path: string[]; message: string }[] = [];
      if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) issues.push({ path: ['email'], message: 'Invalid email address' });
      if (typeof age !== 'number' || !Number.isInteger(age) || age < 18) issues.push({ path: ['age'], message: 'expected an integer >= 18' });
      if (issues.length > 0) return { issues };
      return { value: { email: (email as string).toLowerCase(), age: age as number } };
    },
  },
};

export const app = new Celery('interop-schema', { result_expires: 600 });

/** Registers `ts.schema.signup`: what reaches the function is the schema's output. */
export const signup = app.task('ts.schema.signup', (user) => ({ ...user, by: 'ts' }), { schema: userSchema });

export default app;
