"""Python Celery side of the interop tests: a worker app and a small client.

Worker:  CQ_INTEROP_BROKER=redis://... CQ_INTEROP_BACKEND=redis://... \
         /usr/bin/python3 -m celery -A interop_tasks worker -P solo -n py@%h
Client:  /usr/bin/python3 interop_tasks.py '<json request>'  (prints one JSON line)
"""
import json
import os
import sys

from celery import Celery

app = Celery(
    'interop',
    broker=os.environ.get('CQ_INTEROP_BROKER', 'redis://127.0.0.1:6379/12'),
    backend=os.environ.get('CQ_INTEROP_BACKEND', 'redis://127.0.0.1:6379/12'),
)
app.conf.accept_content = ['json', 'msgpack', 'yaml']
app.conf.worker_hijack_root_logger = False
app.conf.task_default_queue = os.environ.get('CQ_INTEROP_QUEUE', 'celery')


@app.task(name='py.add')
def add(x, y):
    return x + y


@app.task(name='py.echo')
def echo(*args, **kwargs):
    return {'args': list(args), 'kwargs': kwargs}


@app.task(name='py.fail')
def fail(message):
    raise ValueError(message)


def client(request):
    """Sends one task and waits for it: {"name", "args", "kwargs", "options", "timeout"}."""
    result = app.send_task(request['name'], args=request.get('args', []), kwargs=request.get('kwargs', {}),
                           **request.get('options', {}))
    try:
        value = result.get(timeout=request.get('timeout', 20))
        return {'id': result.id, 'state': result.state, 'result': value}
    except Exception as exc:  # the remote error, rebuilt by Celery
        return {'id': result.id, 'state': result.state, 'error': type(exc).__name__, 'message': str(exc)}


if __name__ == '__main__':
    print(json.dumps(client(json.loads(sys.argv[1]))))


@app.task(name='mix.record')
def record(n):
    """Counts each run in Redis (db from CQ_INTEROP_COUNTER_DB), so a test can prove exactly-once."""
    import redis
    counter = redis.Redis(host='127.0.0.1', port=6379, db=int(os.environ.get('CQ_INTEROP_COUNTER_DB', '15')))
    counter.incr('mix:%d' % n)
    counter.rpush('mix:by', 'py')
    return {'n': n, 'by': 'py'}
