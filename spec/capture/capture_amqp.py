#!/usr/bin/python3
"""Capture golden Celery task messages from a real Python Celery *client* on RabbitMQ.

Nothing consumes the messages: every case is published by Celery (kombu + py-amqp), then taken
with basic_get from the queue it landed in and written to spec/fixtures/amqp/<case>.json:
the body bytes (base64), the properties and application headers as py-amqp decoded them, the raw
header field table as it came off the wire (base64, without its 4-byte length), the whole raw
property list of the content header (flags and values, base64) and the delivery info. A sidecar <case>.meta.json says which Python call made it, what was sent, the queue it was
found in and the versions. Two more cases are result messages of the rpc:// backend
(mark_as_done / mark_as_failure with a request whose reply_to is a capture queue).

Queues and exchanges are all named `cqt.golden.*` and deleted at the end.

Usage (needs Debian's python3-celery, which `corepack pnpm test` installs, and RabbitMQ on 127.0.0.1:5672, guest/guest):
    /usr/bin/python3 spec/capture/capture_amqp.py [--amqp-url amqp://guest:guest@127.0.0.1:5672//]
"""
import argparse
import base64
import json
import os
import platform
import struct
import sys
import time
from datetime import datetime, timezone

import amqp
import celery
import kombu
from amqp.serialization import GenericContent
from celery import Celery, chain, group
from celery.app.task import Context
from kombu import Exchange, Queue

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture_redis import BIG, NEG_BIG, NESTED_KWARGS, UNICODE, task_id  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), 'fixtures', 'amqp')

DEFAULT_Q = 'cqt.golden.celery'
JOBS_Q = 'cqt.golden.jobs'
JOBS_RK = 'cqt.golden.jobs.rk'
REPLY_Q = 'cqt.golden.replies'
QUEUES = [DEFAULT_Q, JOBS_Q, REPLY_Q]
EXCHANGES = [DEFAULT_Q, JOBS_Q]

# Header values of every type py-amqp writes: int32 (I), beyond int32 (L), beyond 2**53, negative
# beyond int32, float (d), None (V), bool (t), str (S), lists (A) and nested tables (F).
TYPED_HEADERS = {
    'x-int': 7, 'x-neg': -300, 'x-big': 2 ** 40 + 7, 'x-huge': BIG, 'x-neg-big': -(2 ** 40) - 3,
    'x-float': 1.5, 'x-none': None, 'x-true': True, 'x-false': False, 'x-uni': UNICODE,
    'x-list': [1, 'two', None, 2.5, [3, [4]]], 'x-nested': {'a': {'b': [1, True, None]}, 'n': -1},
}

# py-amqp keeps no raw bytes of the content header: remember them on the message.
_load_properties = GenericContent._load_properties


def _keep_raw(self, class_id, buf, offset):
    self._cq_raw_properties = bytes(buf[offset:])
    return _load_properties(self, class_id, buf, offset)


GenericContent._load_properties = _keep_raw


def headers_table(raw):
    """The application_headers field table inside a basic content header's property list."""
    flags, = struct.unpack_from('>H', raw, 0)
    offset = 2
    for bit in (0x8000, 0x4000):  # content_type, content_encoding: shortstr
        if flags & bit:
            offset += 1 + raw[offset]
    if not flags & 0x2000:
        return None
    size, = struct.unpack_from('>I', raw, offset)
    return raw[offset + 4:offset + 4 + size]


def make_app(url, protocol=2):
    app = Celery('tasks', broker=url, backend='rpc://')
    app.conf.task_default_queue = DEFAULT_Q
    app.conf.task_queues = [
        Queue(DEFAULT_Q, Exchange(DEFAULT_Q, type='direct'), routing_key=DEFAULT_Q),
        Queue(JOBS_Q, Exchange(JOBS_Q, type='direct'), routing_key=JOBS_RK),
    ]
    app.conf.task_protocol = protocol
    app.conf.broker_connection_retry_on_startup = False

    @app.task(name='tasks.add')
    def add(x, y=0):
        return x + y

    @app.task(name='tasks.echo')
    def echo(*args, **kwargs):
        return [args, kwargs]

    @app.task(name='tasks.on_error')
    def on_error(request, exc, traceback):
        return None

    return app, add, echo, on_error


def task_cases(app, add, echo, on_error):
    """(case name, python call as text, sent description, thunk). Thunks publish only."""
    eta_abs = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    expires_abs = datetime(2030, 1, 2, 4, 5, 6, 789012, tzinfo=timezone.utc)
    nested_args = ('x', [1, [2, [3, [4]]]])
    simple = lambda n, **extra: dict({'name': 'tasks.add', 'id': task_id(n), 'args': [1, 2], 'kwargs': {}}, **extra)  # noqa: E731
    yield ('plain_args', "add.apply_async((2, 3), task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(1), 'args': [2, 3], 'kwargs': {}},
           lambda: add.apply_async((2, 3), task_id=task_id(1)))
    yield ('kwargs_nested', "echo.apply_async(('x', [1, [2, [3, [4]]]]), NESTED_KWARGS, task_id=ID)",
           {'name': 'tasks.echo', 'id': task_id(2), 'args': list(nested_args), 'kwargs': NESTED_KWARGS},
           lambda: echo.apply_async(nested_args, NESTED_KWARGS, task_id=task_id(2)))
    yield ('countdown', "add.apply_async((1, 2), countdown=30, task_id=ID)", simple(3, countdown=30),
           lambda: add.apply_async((1, 2), countdown=30, task_id=task_id(3)))
    yield ('eta_datetime', "add.apply_async((1, 2), eta=datetime(2030, 1, 2, 3, 4, 5, tzinfo=utc), task_id=ID)",
           simple(4, eta=eta_abs.isoformat()),
           lambda: add.apply_async((1, 2), eta=eta_abs, task_id=task_id(4)))
    yield ('expires_seconds', "add.apply_async((1, 2), expires=60, task_id=ID)", simple(5, expires=60),
           lambda: add.apply_async((1, 2), expires=60, task_id=task_id(5)))
    yield ('expires_datetime', "add.apply_async((1, 2), expires=datetime(2030, 1, 2, 4, 5, 6, 789012, tzinfo=utc), task_id=ID)",
           simple(6, expires=expires_abs.isoformat()),
           lambda: add.apply_async((1, 2), expires=expires_abs, task_id=task_id(6)))
    yield ('time_limits', "add.apply_async((1, 2), time_limit=20, soft_time_limit=10, task_id=ID)",
           simple(7, time_limit=20, soft_time_limit=10),
           lambda: add.apply_async((1, 2), time_limit=20, soft_time_limit=10, task_id=task_id(7)))
    yield ('priority', "add.apply_async((1, 2), priority=5, task_id=ID)", simple(8, priority=5),
           lambda: add.apply_async((1, 2), priority=5, task_id=task_id(8)))
    yield ('custom_queue', f"add.apply_async((1, 2), queue='{JOBS_Q}', exchange='{JOBS_Q}', routing_key='{JOBS_RK}', task_id=ID)",
           simple(9, queue=JOBS_Q, exchange=JOBS_Q, routing_key=JOBS_RK),
           lambda: add.apply_async((1, 2), queue=JOBS_Q, exchange=JOBS_Q, routing_key=JOBS_RK, task_id=task_id(9)))
    yield ('custom_routing_key', f"add.apply_async((1, 2), exchange='{JOBS_Q}', routing_key='{JOBS_RK}', task_id=ID)",
           simple(19, exchange=JOBS_Q, routing_key=JOBS_RK),
           lambda: add.apply_async((1, 2), exchange=JOBS_Q, routing_key=JOBS_RK, task_id=task_id(19)))
    yield ('ignore_result', "add.apply_async((1, 2), ignore_result=True, task_id=ID)", simple(10, ignore_result=True),
           lambda: add.apply_async((1, 2), ignore_result=True, task_id=task_id(10)))
    yield ('compression_zlib', "echo.apply_async(('a' * 64,), {'k': 'v'}, compression='zlib', task_id=ID)",
           {'name': 'tasks.echo', 'id': task_id(11), 'args': ['a' * 64], 'kwargs': {'k': 'v'}, 'compression': 'zlib'},
           lambda: echo.apply_async(('a' * 64,), {'k': 'v'}, compression='zlib', task_id=task_id(11)))
    yield ('compression_bzip2', "echo.apply_async(('b' * 64,), {'k': 'v'}, compression='bzip2', task_id=ID)",
           {'name': 'tasks.echo', 'id': task_id(12), 'args': ['b' * 64], 'kwargs': {'k': 'v'}, 'compression': 'bzip2'},
           lambda: echo.apply_async(('b' * 64,), {'k': 'v'}, compression='bzip2', task_id=task_id(12)))
    msgpack_kwargs = {'uni': UNICODE, 'big': BIG, 'none': None, 'ratio': 1.5, 'list': [1, 'two']}
    yield ('serializer_msgpack', "echo.apply_async((1, 'two'), {...}, serializer='msgpack', task_id=ID)",
           {'name': 'tasks.echo', 'id': task_id(13), 'args': [1, 'two'], 'kwargs': msgpack_kwargs, 'serializer': 'msgpack'},
           lambda: echo.apply_async((1, 'two'), msgpack_kwargs, serializer='msgpack', task_id=task_id(13)))
    yaml_kwargs = {'uni': UNICODE, 'none': None, 'ratio': 1.5, 'list': [1, 'two'], 'when': '2030-01-02'}
    yield ('serializer_yaml', "echo.apply_async((1, 'two'), {...}, serializer='yaml', task_id=ID)",
           {'name': 'tasks.echo', 'id': task_id(14), 'args': [1, 'two'], 'kwargs': yaml_kwargs, 'serializer': 'yaml'},
           lambda: echo.apply_async((1, 'two'), yaml_kwargs, serializer='yaml', task_id=task_id(14)))
    yield ('chain3', "chain(add.s(1, 2), add.s(3), add.s(4)).apply_async()",
           {'name': 'tasks.add', 'args': [1, 2], 'kwargs': {},
            'chain': [{'task': 'tasks.add', 'args': [4]}, {'task': 'tasks.add', 'args': [3]}]},
           lambda: chain(add.s(1, 2), add.s(3), add.s(4)).apply_async())
    yield ('link_callbacks', "add.apply_async((1, 2), link=add.s(10), link_error=on_error.s(), task_id=ID)",
           simple(15, callbacks=[{'task': 'tasks.add', 'args': [10]}], errbacks=[{'task': 'tasks.on_error', 'args': []}]),
           lambda: add.apply_async((1, 2), link=add.s(10), link_error=on_error.s(), task_id=task_id(15)))
    yield ('group_member', "group(add.s(1, 1), add.s(2, 2)).apply_async()",
           {'name': 'tasks.add', 'members': [[1, 1], [2, 2]]},
           lambda: group(add.s(1, 1), add.s(2, 2)).apply_async())
    yield ('shadow_headers', "add.apply_async((1, 2), shadow='add-shadow', headers={'x-custom': 'v', 'x-n': 7}, task_id=ID)",
           simple(16, shadow='add-shadow', headers={'x-custom': 'v', 'x-n': 7}),
           lambda: add.apply_async((1, 2), shadow='add-shadow', headers={'x-custom': 'v', 'x-n': 7}, task_id=task_id(16)))
    yield ('header_types', "add.apply_async((1, 2), headers=TYPED_HEADERS, task_id=ID)",
           simple(20, headers=TYPED_HEADERS),
           lambda: add.apply_async((1, 2), headers=TYPED_HEADERS, task_id=task_id(20)))
    long_text = ' '.join(['word%d' % i for i in range(400)])
    yield ('long_args_truncated', "echo.apply_async((LONG_TEXT,), {'n': list(range(300))}, task_id=ID)",
           {'name': 'tasks.echo', 'id': task_id(17), 'args': [long_text], 'kwargs': {'n': list(range(300))}},
           lambda: echo.apply_async((long_text,), {'n': list(range(300))}, task_id=task_id(17)))
    yield ('send_task_list_args', "app.send_task('tasks.add', args=[2, 3], kwargs={'y': 1}, task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(18), 'args': [2, 3], 'kwargs': {'y': 1}},
           lambda: app.send_task('tasks.add', args=[2, 3], kwargs={'y': 1}, task_id=task_id(18)))
    yield ('reply_to_custom', f"add.apply_async((1, 2), reply_to='{REPLY_Q}', task_id=ID)", simple(21, reply_to=REPLY_Q),
           lambda: add.apply_async((1, 2), reply_to=REPLY_Q, task_id=task_id(21)))


def v1_cases(app, add, echo, on_error):
    """The same app with task_protocol = 1: the whole request is the body."""
    eta_abs = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    yield ('v1_plain_args', "add.apply_async((2, 3), task_id=ID)  # task_protocol=1",
           {'name': 'tasks.add', 'id': task_id(22), 'args': [2, 3], 'kwargs': {}, 'protocol': 1},
           lambda: add.apply_async((2, 3), task_id=task_id(22)))
    yield ('v1_options', "echo.apply_async(('x',), {'k': UNICODE}, eta=datetime(2030, 1, 2, 3, 4, 5, tzinfo=utc), expires=600, link=add.s(10), task_id=ID)  # task_protocol=1",
           {'name': 'tasks.echo', 'id': task_id(23), 'args': ['x'], 'kwargs': {'k': UNICODE}, 'protocol': 1,
            'eta': eta_abs.isoformat(), 'expires': 600, 'callbacks': [{'task': 'tasks.add', 'args': [10]}]},
           lambda: echo.apply_async(('x',), {'k': UNICODE}, eta=eta_abs, expires=600, link=add.s(10),
                                    task_id=task_id(23)))


def result_cases(app):
    """Result messages of the rpc:// backend, sent to REPLY_Q as a worker would send them."""
    def request(n):
        return Context(id=task_id(n), reply_to=REPLY_Q, correlation_id=task_id(n), children=[], errbacks=None)
    done_value = {'sum': 5, 'big': BIG, 'neg_big': NEG_BIG, 'uni': UNICODE, 'none': None, 'list': [1.5, 'two']}
    yield ('rpc_result_success', "app.backend.mark_as_done(ID, VALUE, request=Context(reply_to=REPLY_Q, ...))",
           {'id': task_id(24), 'status': 'SUCCESS', 'result': done_value},
           lambda: app.backend.mark_as_done(task_id(24), done_value, request=request(24)))
    yield ('rpc_result_failure', "app.backend.mark_as_failure(ID, ValueError('boom \u2713'), traceback=TB, request=..., call_errbacks=False)",
           {'id': task_id(25), 'status': 'FAILURE', 'exc_type': 'ValueError', 'exc_message': ['boom \u2713']},
           lambda: app.backend.mark_as_failure(task_id(25), ValueError('boom \u2713'), traceback='Traceback (most recent call last):\n  ...\nValueError: boom',
                                               request=request(25), call_errbacks=False))


def take_all(channel, expected, timeout=5.0):
    """The `expected` messages the case published, as (queue, amqp.Message) in queue order.

    The publish went over Celery's own connection, so it may reach the queue a moment after the
    call returned: poll until enough arrived (or time is up), then drain once more.
    """
    found = []
    deadline = time.monotonic() + timeout
    while len(found) < expected and time.monotonic() < deadline:
        for queue in QUEUES:
            while True:
                msg = channel.basic_get(queue, no_ack=True)
                if msg is None:
                    break
                found.append((queue, msg))
        if len(found) < expected:
            time.sleep(0.05)
    return found


def fixture(msg):
    props = dict(msg.properties)
    headers = props.pop('application_headers', None)
    raw = headers_table(msg._cq_raw_properties)
    info = {k: msg.delivery_info[k] for k in ('exchange', 'routing_key', 'redelivered')}
    return {
        'body': base64.b64encode(bytes(msg.body)).decode(),
        'properties': props,
        'headers': headers,
        'headers_table': None if raw is None else base64.b64encode(raw).decode(),
        'properties_raw': base64.b64encode(msg._cq_raw_properties).decode(),
        'delivery_info': info,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--amqp-url', default='amqp://guest:guest@127.0.0.1:5672//')
    opts = parser.parse_args()

    app, add, echo, on_error = make_app(opts.amqp_url)
    app1, add1, echo1, on_error1 = make_app(opts.amqp_url, protocol=1)
    conn = amqp.Connection('127.0.0.1:5672', userid='guest', password='guest')
    conn.connect()
    channel = conn.channel()
    channel.auto_decode = False  # keep the body bytes as they came
    for queue in QUEUES:
        channel.queue_delete(queue)
    with app.connection_for_write() as c:
        for q in app.conf.task_queues:
            q(c.default_channel).declare()
    channel.queue_declare(REPLY_Q, durable=True, auto_delete=False)
    server_version = conn.server_properties.get('version')
    if isinstance(server_version, bytes):
        server_version = server_version.decode()
    versions = {
        'celery': celery.__version__, 'kombu': kombu.__version__, 'amqp': amqp.__version__,
        'python': platform.python_version(),
        'rabbitmq': server_version,
    }
    os.makedirs(OUT, exist_ok=True)
    written = []
    try:
        every = [(c, False) for c in task_cases(app, add, echo, on_error)]
        every += [(c, False) for c in v1_cases(app1, add1, echo1, on_error1)]
        every += [(c, True) for c in result_cases(app)]
        for (name, call, sent, thunk), is_result in every:
            before = datetime.now(timezone.utc)
            thunk()
            after = datetime.now(timezone.utc)
            msgs = take_all(channel, len(sent.get('members', [None])))
            if not msgs:
                sys.exit(f'{name}: no message found in {QUEUES}')
            for i, (queue, msg) in enumerate(msgs):
                case = name if len(msgs) == 1 else f'{name}_{i}'
                with open(os.path.join(OUT, case + '.json'), 'w') as f:
                    json.dump(fixture(msg), f, indent=1, ensure_ascii=False)
                    f.write('\n')
                meta = {
                    'case': case, 'kind': 'result' if is_result else 'task', 'python_call': call, 'sent': sent,
                    'queue': queue, 'message_index': i, 'messages_in_case': len(msgs),
                    'published_between': [before.isoformat(), after.isoformat()], 'versions': versions,
                }
                with open(os.path.join(OUT, case + '.meta.json'), 'w') as f:
                    json.dump(meta, f, indent=2, ensure_ascii=False)
                    f.write('\n')
                written.append(f'{case} <- {queue}')
    finally:
        for queue in QUEUES:
            channel.queue_delete(queue)
        for exchange in EXCHANGES:
            channel.exchange_delete(exchange)
        conn.close()
        app.pool.force_close_all()
        app1.pool.force_close_all()
    print('\n'.join(written))


if __name__ == '__main__':
    main()
