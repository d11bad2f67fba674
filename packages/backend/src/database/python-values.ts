/**
 * JS stand-ins for the Python values a pickle holds that JSON-like data has no shape for:
 *
 * - {@link PickleTuple}: a Python tuple. The writer writes it as a tuple (Celery stores an exception's
 *   `exc_message` and result tuples as tuples); the plain reader reads tuples back as arrays.
 * - {@link PickleGlobal} and {@link PickleCall}: a class or function by name, and the object Python
 *   builds by calling it (`REDUCE`). The writer uses them for the `GroupResult` Celery keeps in its
 *   group table; the symbolic reader (group table only) returns them as inert records. Nothing here
 *   ever resolves a name or calls anything.
 */

/** A Python tuple: `new PickleTuple([1, 'a'])` pickles as `(1, 'a')`. */
export class PickleTuple {
  readonly items: readonly unknown[];
  constructor(items: readonly unknown[]) {
    this.items = items;
  }
}

/** A Python global by name (`module.name`), as `GLOBAL`/`STACK_GLOBAL` name it. Inert. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}

  /** `celery.result.GroupResult`. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * `callable(*args)` as a pickle describes it (`REDUCE`, `NEWOBJ`), plus the `BUILD` state when there
 * is one. Written by the writer; produced by the symbolic reader. Inert: never called.
 */
export class PickleCall {
  constructor(readonly callable: unknown, readonly args: readonly unknown[], public state: unknown = undefined) {}

  /** True when the callable is the global `module.name`. */
  is(module: string, name: string): boolean {
    return this.callable instanceof PickleGlobal && this.callable.module === module && this.callable.name === name;
  }
}
