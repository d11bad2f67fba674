#!/usr/bin/python3
"""Capture golden Celery task messages from a real Python Celery *client* on Redis.

Nothing consumes the messages: every case is published, then read back with LRANGE from the
Redis lists it landed in, and written verbatim (the kombu envelope string, byte for byte) to
spec/fixtures/redis/<case>.json, with a sidecar <case>.meta.json saying which Python call made
it, what was sent, the Redis key it was found under and the celery/kombu versions.

It also writes spec/fixtures/repr/saferepr.json: values with Python's repr() and Celery's
saferepr() of them as args/kwargs (what ends up in the argsrepr/kwargsrepr headers).

Usage (needs Debian's python3-celery, which `corepack pnpm test` installs, and a redis-server on 127.0.0.1:6379; uses and FLUSHes db 14):
    /usr/bin/python3 spec/capture/capture_redis.py [--redis-url redis://127.0.0.1:6379/14]
"""
import argparse
import json
import os
import platform
import sys
from datetime import datetime, timezone

import celery
import kombu
import redis
from celery import Celery, chain, chord, group
from celery.utils.saferepr import saferepr
from kombu import Exchange, Queue

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), 'fixtures')

# Values chosen so that JSON round trips keep their Python type: no integer-valued floats
# (JSON would hand 1.0 to JavaScript as the integer 1).
BIG = 2 ** 60 + 7          # > 2**53: not representable as a JS number
NEG_BIG = -(2 ** 62) - 3
UNICODE = 'h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c \U0001F389'
NESTED_KWARGS = {
    'nested': {'a': [1, 2, {'b': None}], 'c': {'d': {'e': 'deep'}}},
    'uni': UNICODE,
    'big': BIG,
    'neg_big': NEG_BIG,
    'none': None,
    'flag': True,
    'ratio': 1.5,
    'quote': "it's",
    'empty': [],
}

# Fixed ids make the fixtures readable and their meta checkable. Composite cases keep the
# ids Celery generates itself.
def task_id(n):
    return f'c0ffee00-0000-4000-8000-{n:012d}'


def make_app(redis_url):
    app = Celery('tasks', broker=redis_url, backend=redis_url)
    app.conf.task_queues = [
        Queue('celery', Exchange('celery', type='direct'), routing_key='celery'),
        Queue('jobs', Exchange('jobs', type='direct'), routing_key='jobs.rk'),
    ]
    app.conf.broker_connection_retry_on_startup = False

    @app.task(name='tasks.add')
    def add(x, y=0):
        return x + y

    @app.task(name='tasks.echo')
    def echo(*args, **kwargs):
        return [args, kwargs]

    @app.task(name='tasks.tsum')
    def tsum(values):
        return sum(values)

    @app.task(name='tasks.on_error')
    def on_error(request, exc, traceback):
        return None

    return app, add, echo, tsum, on_error


def cases(app, add, echo, tsum, on_error):
    """(case name, python call as text, sent description, thunk). Thunks publish only."""
    eta_abs = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    expires_abs = datetime(2030, 1, 2, 4, 5, 6, 789012, tzinfo=timezone.utc)
    nested_args = ('x', [1, [2, [3, [4]]]])
    yield ('plain_args', "add.apply_async((2, 3), task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(1), 'args': [2, 3], 'kwargs': {}},
           lambda: add.apply_async((2, 3), task_id=task_id(1)))
    yield ('kwargs_nested', "echo.apply_async(('x', [1, [2, [3, [4]]]]), NESTED_KWARGS, task_id=ID)",
           {'name': 'tasks.echo', 'id': task_id(2), 'args': list(nested_args), 'kwargs': NESTED_KWARGS},
           lambda: echo.apply_async(nested_args, NESTED_KWARGS, task_id=task_id(2)))
    yield ('countdown', "add.apply_async((1, 2), countdown=30, task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(3), 'args': [1, 2], 'kwargs': {}, 'countdown': 30},
           lambda: add.apply_async((1, 2), countdown=30, task_id=task_id(3)))
    yield ('eta_datetime', "add.apply_async((1, 2), eta=datetime(2030, 1, 2, 3, 4, 5, tzinfo=utc), task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(4), 'args': [1, 2], 'kwargs': {}, 'eta': eta_abs.isoformat()},
           lambda: add.apply_async((1, 2), eta=eta_abs, task_id=task_id(4)))
    yield ('expires_seconds', "add.apply_async((1, 2), expires=60, task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(5), 'args': [1, 2], 'kwargs': {}, 'expires': 60},
           lambda: add.apply_async((1, 2), expires=60, task_id=task_id(5)))
    yield ('expires_datetime', "add.apply_async((1, 2), expires=datetime(2030, 1, 2, 4, 5, 6, 789012, tzinfo=utc), task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(6), 'args': [1, 2], 'kwargs': {}, 'expires': expires_abs.isoformat()},
           lambda: add.apply_async((1, 2), expires=expires_abs, task_id=task_id(6)))
    yield ('time_limits', "add.apply_async((1, 2), time_limit=20, soft_time_limit=10, task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(7), 'args': [1, 2], 'kwargs': {}, 'time_limit': 20, 'soft_time_limit': 10},
           lambda: add.apply_async((1, 2), time_limit=20, soft_time_limit=10, task_id=task_id(7)))
    yield ('priority', "add.apply_async((1, 2), priority=5, task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(8), 'args': [1, 2], 'kwargs': {}, 'priority': 5},
           lambda: add.apply_async((1, 2), priority=5, task_id=task_id(8)))
    yield ('custom_queue', "add.apply_async((1, 2), queue='jobs', exchange='jobs', routing_key='jobs.rk', task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(9), 'args': [1, 2], 'kwargs': {}, 'queue': 'jobs',
            'exchange': 'jobs', 'routing_key': 'jobs.rk'},
           lambda: add.apply_async((1, 2), queue='jobs', exchange='jobs', routing_key='jobs.rk',
                                   task_id=task_id(9)))
    yield ('ignore_result', "add.apply_async((1, 2), ignore_result=True, task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(10), 'args': [1, 2], 'kwargs': {}, 'ignore_result': True},
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
           {'name': 'tasks.add', 'id': task_id(15), 'args': [1, 2], 'kwargs': {},
            'callbacks': [{'task': 'tasks.add', 'args': [10]}], 'errbacks': [{'task': 'tasks.on_error', 'args': []}]},
           lambda: add.apply_async((1, 2), link=add.s(10), link_error=on_error.s(), task_id=task_id(15)))
    yield ('group_member', "group(add.s(1, 1), add.s(2, 2)).apply_async()",
           {'name': 'tasks.add', 'members': [[1, 1], [2, 2]]},
           lambda: group(add.s(1, 1), add.s(2, 2)).apply_async())
    yield ('chord_header', "chord([add.s(1, 1), add.s(2, 2)], tsum.s()).apply_async()",
           {'name': 'tasks.add', 'members': [[1, 1], [2, 2]], 'body': 'tasks.tsum'},
           lambda: chord([add.s(1, 1), add.s(2, 2)], tsum.s()).apply_async())
    yield ('shadow_headers', "add.apply_async((1, 2), shadow='add-shadow', headers={'x-custom': 'v', 'x-n': 7}, task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(16), 'args': [1, 2], 'kwargs': {}, 'shadow': 'add-shadow',
            'headers': {'x-custom': 'v', 'x-n': 7}},
           lambda: add.apply_async((1, 2), shadow='add-shadow', headers={'x-custom': 'v', 'x-n': 7},
                                   task_id=task_id(16)))
    long_text = ' '.join(['word%d' % i for i in range(400)])
    yield ('long_args_truncated', "echo.apply_async((LONG_TEXT,), {'n': list(range(300))}, task_id=ID)",
           {'name': 'tasks.echo', 'id': task_id(17), 'args': [long_text], 'kwargs': {'n': list(range(300))}},
           lambda: echo.apply_async((long_text,), {'n': list(range(300))}, task_id=task_id(17)))
    yield ('send_task_list_args', "app.send_task('tasks.add', args=[2, 3], kwargs={'y': 1}, task_id=ID)",
           {'name': 'tasks.add', 'id': task_id(18), 'args': [2, 3], 'kwargs': {'y': 1}},
           lambda: app.send_task('tasks.add', args=[2, 3], kwargs={'y': 1}, task_id=task_id(18)))


def read_lists(r):
    """All list keys in the db -> their elements in push order (LPUSH: LRANGE is newest first)."""
    found = []
    for key in sorted(r.keys('*')):
        if r.type(key) != b'list':
            continue
        for raw in reversed(r.lrange(key, 0, -1)):
            found.append((key.decode('latin-1'), raw))
        r.delete(key)
    return found


REPR_VALUES = [
    0, -7, 42, BIG, NEG_BIG, 1.5, -0.25, 0.1 + 0.2, 1e-05, 0.0001, 1.25e-07, 123456.789, 2.5e-300,
    True, False, None, '', 'plain', "it's", 'say "hi"', 'both \' and "', 'back\\slash',
    'line\nbreak\ttab', 'bell\x07 del\x7f', UNICODE, 'nbsp\u00a0zwsp\u200b', '\ud7ff',
    [], [1, 'a', None], {'k': 'v', 'n': [1, {'deep': {'deeper': {'deepest': 1}}}]},
    [[[[['five']]]]], {'a': {'b': {'c': {'d': {'e': 1}}}}},
    ' '.join(['word%d' % i for i in range(300)]), 'x' * 1100, list(range(400)),
    {'key%d' % i: i for i in range(150)},
]


def repr_vectors():
    out = []
    for v in REPR_VALUES:
        out.append({
            'value': v,
            'repr': repr(v),
            'argsrepr': saferepr((v,), 1024),
            'argsrepr_pair': saferepr((v, 1), 1024),
            'kwargsrepr': saferepr({'v': v}, 1024),
        })
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--redis-url', default='redis://127.0.0.1:6379/14')
    opts = parser.parse_args()

    r = redis.Redis.from_url(opts.redis_url)
    r.flushdb()
    app, add, echo, tsum, on_error = make_app(opts.redis_url)
    versions = {
        'celery': celery.__version__, 'kombu': kombu.__version__, 'redis_py': redis.__version__,
        'python': platform.python_version(),
    }
    out_dir = os.path.join(FIXTURES, 'redis')
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for name, call, sent, thunk in cases(app, add, echo, tsum, on_error):
        before = datetime.now(timezone.utc)
        thunk()
        after = datetime.now(timezone.utc)
        msgs = read_lists(r)
        if not msgs:
            sys.exit(f'{name}: no message found in any Redis list')
        for i, (key, raw) in enumerate(msgs):
            case = name if len(msgs) == 1 else f'{name}_{i}'
            with open(os.path.join(out_dir, case + '.json'), 'wb') as f:
                f.write(raw)
            meta = {
                'case': case, 'python_call': call, 'sent': sent, 'redis_key': key,
                'message_index': i, 'messages_in_case': len(msgs),
                'published_between': [before.isoformat(), after.isoformat()],
                'versions': versions,
            }
            with open(os.path.join(out_dir, case + '.meta.json'), 'w') as f:
                json.dump(meta, f, indent=2)
                f.write('\n')
            written.append(f'{case} <- {key!r}')
    r.flushdb()

    repr_dir = os.path.join(FIXTURES, 'repr')
    os.makedirs(repr_dir, exist_ok=True)
    with open(os.path.join(repr_dir, 'saferepr.json'), 'w') as f:
        json.dump({'versions': versions, 'maxlen': 1024, 'vectors': repr_vectors()}, f, indent=1)
        f.write('\n')
    print('\n'.join(written))
    app.pool.force_close_all()


if __name__ == '__main__':
    main()
