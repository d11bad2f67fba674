"""Python Celery side of the interop tests: a worker app and a small client.

Worker:  CQ_INTEROP_BROKER=redis://... CQ_INTEROP_BACKEND=redis://... \
         /usr/bin/python3 -m celery -A interop_tasks worker -P solo -n py@%h
Client:  /usr/bin/python3 interop_tasks.py '<json request>'  (prints one JSON line)
"""
import json
import os
import sys

from celery import Celery, current_task
from kombu import Exchange, Queue

app = Celery(
    'interop',
    broker=os.environ.get('CQ_INTEROP_BROKER', 'redis://127.0.0.1:6379/12'),
    backend=os.environ.get('CQ_INTEROP_BACKEND', 'redis://127.0.0.1:6379/12'),
)
app.conf.accept_content = ['json', 'msgpack', 'yaml']
app.conf.worker_hijack_root_logger = False
app.conf.task_default_queue = os.environ.get('CQ_INTEROP_QUEUE', 'celery')


def _configure_from_env():
    """Extra queues, routes and transport options, given to both sides as the same JSON.

    CQ_INTEROP_QUEUES: [{"name", "exchange"?, "exchange_type"?, "routing_key"?, "max_priority"?, "queue_arguments"?}]
    CQ_INTEROP_ROUTES: task_routes, e.g. {"mix.routed": {"queue": "interop.tq"}}
    CQ_INTEROP_TRANSPORT_OPTIONS: broker_transport_options, e.g. {"queue_order_strategy": "priority"}
    """
    queues = json.loads(os.environ.get('CQ_INTEROP_QUEUES', '[]'))
    if queues:
        default = app.conf.task_default_queue
        listed = [Queue(q['name'], Exchange(q.get('exchange', q['name']), type=q.get('exchange_type', 'direct')),
                        routing_key=q.get('routing_key', q['name']), max_priority=q.get('max_priority'),
                        queue_arguments=q.get('queue_arguments'))
                  for q in queues]
        if default not in [q.name for q in listed]:  # keep the default queue as Celery would declare it
            listed.insert(0, Queue(default, Exchange(default, type='direct'), routing_key=default))
        app.conf.task_queues = listed
    routes = os.environ.get('CQ_INTEROP_ROUTES')
    if routes:
        app.conf.task_routes = json.loads(routes)
    options = os.environ.get('CQ_INTEROP_TRANSPORT_OPTIONS')
    if options:
        app.conf.broker_transport_options = json.loads(options)


_configure_from_env()


@app.task(name='py.add')
def add(x, y):
    return x + y


@app.task(name='py.echo')
def echo(*args, **kwargs):
    return {'args': list(args), 'kwargs': kwargs}


@app.task(name='py.fail')
def fail(message):
    raise ValueError(message)


@app.task(name='py.tsum')
def tsum(numbers):
    """A chord body: the sum of the header's results."""
    return sum(numbers)


def send_only(calls):
    """Sends tasks without waiting: [{"name", "args", "kwargs", "options", "task_options"}] -> ids.

    With "task_options" (e.g. {"ignore_result": true}) the call goes through the registered task's
    apply_async with those attributes set on it in this process only, so the option travels as
    Celery sends a task attribute; otherwise through send_task.
    """
    ids = []
    for call in calls:
        args, kwargs, options = call.get('args', []), call.get('kwargs', {}), call.get('options', {})
        if call.get('task_options'):
            task = app.tasks[call['name']]
            for key, value in call['task_options'].items():
                setattr(task, key, value)
            ids.append(task.apply_async(args, kwargs, **options).id)
        else:
            ids.append(app.send_task(call['name'], args=args, kwargs=kwargs, **options).id)
    return {'ids': ids}


def client(request):
    """Sends one task and waits for it: {"name", "args", "kwargs", "options", "timeout"}.

    {"send": [calls]} only sends (see send_only); {"chain": [signature dicts]} sends a chain.
    """
    if 'send' in request:
        return send_only(request['send'])
    if 'chain' in request:  # {"chain": [signature dicts], "timeout"}: Python builds and sends the chain
        from celery import chain, signature
        result = chain(*[signature(d, app=app) for d in request['chain']]).apply_async()
        value = result.get(timeout=request.get('timeout', 20))
        return {'id': result.id, 'state': result.state, 'result': value}
    if 'chord' in request:  # {"chord": {"header": [dicts], "body": dict}, "timeout"}: Python starts the chord
        from celery import chord, signature
        spec = request['chord']
        result = chord([signature(d, app=app) for d in spec['header']], signature(spec['body'], app=app)).apply_async()
        header = {'group': result.parent.id, 'header': [r.id for r in result.parent.results]}
        try:
            return {'id': result.id, 'result': result.get(timeout=request.get('timeout', 20)), 'state': result.state, **header}
        except Exception as exc:  # the remote error, rebuilt by Celery
            return {'id': result.id, 'state': result.state, 'error': type(exc).__name__, 'message': str(exc), **header}
    result = app.send_task(request['name'], args=request.get('args', []), kwargs=request.get('kwargs', {}),
                           **request.get('options', {}))
    try:
        value = result.get(timeout=request.get('timeout', 20))
        return {'id': result.id, 'state': result.state, 'result': value}
    except Exception as exc:  # the remote error, rebuilt by Celery
        return {'id': result.id, 'state': result.state, 'error': type(exc).__name__, 'message': str(exc)}


@app.task(name='mix.record')
def record(n):
    """Counts each run in Redis (db from CQ_INTEROP_COUNTER_DB), so a test can prove exactly-once."""
    import redis
    counter = redis.Redis(host='127.0.0.1', port=6379, db=int(os.environ.get('CQ_INTEROP_COUNTER_DB', '15')))
    counter.incr('mix:%d' % n)
    counter.rpush('mix:by', 'py')
    return {'n': n, 'by': 'py'}


def _store():
    import redis
    return redis.Redis(host='127.0.0.1', port=6379, db=int(os.environ.get('CQ_INTEROP_COUNTER_DB', '15')))


@app.task(name='mix.note')
def note(key, value):
    """Appends value to the Redis list key (db CQ_INTEROP_COUNTER_DB): a side effect tests can see."""
    _store().rpush(key, 'py:%s' % value)
    return {'value': value, 'by': 'py'}


def _where(tag):
    info = current_task.request.delivery_info or {}
    return {'tag': tag, 'by': 'py', 'exchange': info.get('exchange'), 'routing_key': info.get('routing_key')}


@app.task(name='mix.relay', bind=True, max_retries=10)
def relay(self, queues, trail):
    """Retries itself into queues[retries] (countdown 0) until they run out, noting who ran each try:
    a retry chain that crosses between Python and cq workers."""
    trail = list(trail) + ['py:%d' % self.request.retries]
    if self.request.retries < len(queues):
        raise self.retry(kwargs={'queues': queues, 'trail': trail}, countdown=0, queue=queues[self.request.retries])
    return trail


@app.task(name='mix.where')
def where(tag):
    """Reports where the message came from (exchange and routing key as the worker saw them)."""
    return _where(tag)


@app.task(name='mix.routed')
def routed(tag):
    """Same as mix.where, under a name the tests route with task_routes."""
    return _where(tag)


@app.task(name='py.replace_with', bind=True)
def replace_with(self, sig):
    """Replaces itself with the signature dict `sig` (Celery `Task.replace`)."""
    from celery import signature
    return self.replace(signature(sig, app=app))


@app.task(name='py.grow', bind=True)
def grow(self, x, sig):
    """A chord header task that adds the signature dict `sig` to its chord (`Task.add_to_chord`), then returns x."""
    from celery import signature
    self.add_to_chord(signature(sig, app=app))
    return x


if __name__ == '__main__':
    print(json.dumps(client(json.loads(sys.argv[1]))))

