/**
 * The Python side of {@link import('./database.js').describeDatabaseBackend}: one script run with
 * Debian's Python, Celery 5 and SQLAlchemy, using Celery's own `DatabaseBackend` (no broker) on the
 * database under test. Called as `python3 -c SCRIPT <url> <task table> <group table> <command> <json>`;
 * prints one JSON document.
 *
 * Commands: `read` [ids] → metas as Python reads them (exceptions as {exc_class, exc_module, args});
 * `store` [{id, state, result | exception, traceback, request}] → stores each with `store_result`;
 * `raw` {id, expected, tuple_exc_message} → the stored cell's hex and `pickle.dumps(expected, 5)`'s;
 * `save_group` {group_id, children} / `restore_group` group_id; `hostile` {id, group_id, marker} →
 * writes pickles that run `touch <marker>` when unpickled into both tables, bypassing PickleType;
 * `unpickle` {id, group_id} → what `pickle.loads` of those cells does (the positive control);
 * `tables` [names] → columns, primary and unique keys as SQLAlchemy's inspector sees them; `drop`
 * [names] → drops those tables.
 */
export const PYTHON_DATABASE_SCRIPT = String.raw`
import json, os, pickle, sys
import sqlalchemy as sa
from celery import Celery
from celery.app.task import Context
from celery.result import AsyncResult, GroupResult

url, task_table, group_table, command, arg = sys.argv[1:6]
arg = json.loads(arg)
app = Celery('cq_interop', backend=url, set_as_current=True)
app.conf.result_extended = True
app.conf.database_table_names = {'task': task_table, 'group': group_table}
backend = app.backend
engine = sa.create_engine(backend.url)


def jsonable(value):
    if isinstance(value, BaseException):
        return {'exc_class': type(value).__name__, 'exc_module': type(value).__module__, 'args': [jsonable(a) for a in value.args]}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return {'bytes_hex': value.hex()}
    return value


def read(ids):
    out = []
    for task_id in ids:
        meta = backend.get_task_meta(task_id, cache=False)
        done = meta.get('date_done')
        out.append({
            'task_id': task_id, 'status': meta['status'], 'result': jsonable(meta['result']),
            'result_type': type(meta['result']).__name__, 'traceback': meta.get('traceback'),
            'date_done': done.isoformat() if done is not None else None,
            'name': meta.get('name'), 'args': meta.get('args'), 'kwargs': meta.get('kwargs'),
            'worker': meta.get('worker'), 'retries': meta.get('retries'), 'queue': meta.get('queue'),
        })
    return out


def store(ops):
    for op in ops:
        if 'exception' in op:
            import builtins
            exc = op['exception']
            value = getattr(builtins, exc['type'])(*exc['args'])
        else:
            value = op['result']
        request = Context(op['request']) if op.get('request') else None
        backend.store_result(op['id'], value, op['state'], traceback=op.get('traceback'), request=request)
    return True


def raw_cell(table, key, value):
    t = sa.Table(table, sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.c.result).where(t.c[key] == value)).first()
    return bytes(row[0]) if row is not None and row[0] is not None else None


def raw(spec):
    expected = spec['expected']
    if spec.get('tuple_exc_message'):
        expected = dict(expected, exc_message=tuple(expected['exc_message']))
    cell = raw_cell(task_table, 'task_id', spec['id'])
    return {'cell': cell.hex() if cell is not None else None, 'python': pickle.dumps(expected, 5).hex()}


def save_group(spec):
    GroupResult(spec['group_id'], [AsyncResult(c, app=app) for c in spec['children']], app=app).save()
    return True


def restore_group(group_id):
    group = GroupResult.restore(group_id, app=app)
    if group is None:
        return None
    return {'type': type(group).__name__, 'id': group.id, 'children': [[type(r).__name__, r.id] for r in group.results]}


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ('touch ' + self.marker,))


def hostile(spec):
    meta = sa.MetaData()
    tasks = sa.Table(task_table, meta, sa.Column('id', sa.Integer, sa.Sequence('task_id_sequence'), primary_key=True),
                     sa.Column('task_id', sa.String(155)), sa.Column('status', sa.String(50)), sa.Column('result', sa.LargeBinary))
    groups = sa.Table(group_table, meta, sa.Column('id', sa.Integer, sa.Sequence('taskset_id_sequence'), primary_key=True),
                      sa.Column('taskset_id', sa.String(155)), sa.Column('result', sa.LargeBinary))
    cell = pickle.dumps(Payload(spec['marker']), 5)
    with engine.begin() as conn:
        conn.execute(tasks.insert().values(task_id=spec['id'], status='SUCCESS', result=cell))
        conn.execute(groups.insert().values(taskset_id=spec['group_id'], result=cell))
    return cell.hex()


def unpickle(spec):
    for table, key, value in ((task_table, 'task_id', spec['id']), (group_table, 'taskset_id', spec['group_id'])):
        pickle.loads(raw_cell(table, key, value))
    return True


def tables(names):
    inspector = sa.inspect(engine)
    out = {}
    for name in names:
        out[name] = {
            'columns': [[c['name'], str(c['type']), c['nullable'], c.get('autoincrement')] for c in inspector.get_columns(name)],
            'primary_key': inspector.get_pk_constraint(name)['constrained_columns'],
            'unique': sorted(u['column_names'] for u in inspector.get_unique_constraints(name)),
        }
    return out


def drop(names):
    with engine.begin() as conn:
        for name in names:
            sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
    return True


commands = {'read': read, 'store': store, 'raw': raw, 'save_group': save_group, 'restore_group': restore_group,
            'hostile': hostile, 'unpickle': unpickle, 'tables': tables, 'drop': drop}
print(json.dumps(commands[command](arg)))
`;
