/**
 * The Python side of {@link import('./key-value.js').describeKeyValueInterop}: one script run with
 * Debian's Python and Celery 5, using Celery's own backend for a result backend URL (no broker).
 * Called as `python3 -c SCRIPT <url> <conf json> <command> <json>`; prints one JSON document.
 *
 * Commands: `read` [ids] → metas as Python's `get_task_meta` returns them (exceptions as
 * {exc_class, exc_module, args}); `store` [{id, state, result | exception {type, args}, traceback,
 * request}] → `store_result` of each (a builtin exception class, else one made up in module
 * `tasks`); `save_group` {group_id, children} / `restore_group` group_id → {type, id, children};
 * `forget` [ids] → `AsyncResult(id).forget()` of each.
 */
export const PYTHON_KEY_VALUE_SCRIPT = String.raw`
import builtins, json, sys
from celery import Celery
from celery.app.task import Context
from celery.result import AsyncResult, GroupResult

url, conf, command, arg = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
app = Celery('cq_interop', backend=url, set_as_current=True)
app.conf.update(conf)
backend = app.backend


def plain(value):
    if isinstance(value, BaseException):
        return {'exc_class': type(value).__name__, 'exc_module': type(value).__module__, 'args': [plain(a) for a in value.args]}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, 'isoformat'):
        return value.isoformat()
    return value


def read(ids):
    keys = ('status', 'result', 'traceback', 'date_done', 'children', 'group_id', 'parent_id', 'name', 'args', 'kwargs', 'worker', 'retries', 'queue')
    return [dict({k: plain(meta.get(k)) for k in keys}, task_id=task_id) for task_id, meta in ((i, backend.get_task_meta(i, cache=False)) for i in ids)]


def exception(spec):
    cls = getattr(builtins, spec['type'], None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        cls = type(spec['type'], (Exception,), {'__module__': 'tasks'})
    return cls(*spec['args'])


def store(ops):
    for op in ops:
        value = exception(op['exception']) if 'exception' in op else op['result']
        request = Context(op['request']) if op.get('request') else None
        backend.store_result(op['id'], value, op['state'], traceback=op.get('traceback'), request=request)
    return True


def save_group(spec):
    GroupResult(spec['group_id'], [AsyncResult(c, app=app) for c in spec['children']], app=app).save()
    return True


def restore_group(group_id):
    group = GroupResult.restore(group_id, app=app)
    return None if group is None else {'type': type(group).__name__, 'id': group.id, 'children': [r.id for r in group.results]}


def forget(ids):
    for task_id in ids:
        AsyncResult(task_id, app=app).forget()
    return True


commands = {'read': read, 'store': store, 'save_group': save_group, 'restore_group': restore_group, 'forget': forget}
print(json.dumps(commands[command](arg)))
`;
