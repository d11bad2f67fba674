"""Python Celery peer of the cq benchmarks: the same `bench.noop` task as bench/app.ts, and a client.

Worker:  CQ_BENCH_BROKER=redis://... CQ_BENCH_RESULT_BACKEND=redis://... \
         /usr/bin/python3 -m celery -A celery_bench worker -P prefork -c 2 -l warning \
             --without-mingle --without-gossip --without-heartbeat
Client:  /usr/bin/python3 celery_bench.py publish N IDS_FILE   apply_async N times; prints {"seconds"}
         /usr/bin/python3 celery_bench.py rt M                 apply_async + get() M times; prints {"ms": [...]}
         /usr/bin/python3 celery_bench.py cleanup IDS_FILE     deletes the queue, its exchange, the results

All on the queue (and direct exchange) `bench.peer.celery`, so nothing meets cq's or anyone's `celery` queue.
Remote control is off (no pidbox queue) and the worker runs without mingle/gossip/heartbeat: none is on
the task path, and they would talk to other workers on a shared broker.
"""
import json
import os
import sys
import time

from celery import Celery

QUEUE = 'bench.peer.celery'

app = Celery('bench', broker=os.environ['CQ_BENCH_BROKER'], backend=os.environ['CQ_BENCH_RESULT_BACKEND'])
app.conf.task_default_queue = QUEUE
app.conf.worker_enable_remote_control = False
app.conf.worker_hijack_root_logger = False
# broker_transport_options as JSON, the same the cq side gets (bench/run.ts sets it for `sqs://emulator`:
# kombu 5.2 reaches SQS at the broker URL's host:port, over http only with is_secure False).
if os.environ.get('CQ_BENCH_TRANSPORT_OPTIONS'):
    app.conf.broker_transport_options = json.loads(os.environ['CQ_BENCH_TRANSPORT_OPTIONS'])


@app.task(name='bench.noop')
def noop(n):
    """Returns its argument: the smallest task that still stores a result (as bench/app.ts)."""
    return n


def publish(n, ids_file):
    t0 = time.perf_counter()
    ids = [noop.apply_async((i,)).id for i in range(n)]
    seconds = time.perf_counter() - t0
    with open(ids_file, 'w') as f:
        json.dump(ids, f)
    return {'seconds': seconds}


def round_trip(m):
    warm_up = noop.apply_async((-1,))  # connections open, worker consuming
    warm_up.get(timeout=60)
    ms, results = [], [warm_up]
    for i in range(m):
        t0 = time.perf_counter()
        r = noop.apply_async((i,))
        r.get(timeout=30)
        ms.append((time.perf_counter() - t0) * 1000)
        results.append(r)
    for r in results:
        r.forget()
    return {'ms': ms}


def cleanup(ids_file):
    with app.connection_for_write() as conn:
        # Declared first so that this channel knows the binding (Redis keeps it in `_kombu.binding.*`).
        queue = app.amqp.queues[QUEUE](conn.default_channel)
        queue.declare()
        queue.delete()
        queue.exchange.delete()
    if ids_file and os.path.exists(ids_file):
        with open(ids_file) as f:
            ids = json.load(f)
        keys = [app.backend.get_key_for_task(i) for i in ids]
        for k in range(0, len(keys), 1000):
            app.backend.client.delete(*keys[k:k + 1000])
    return {'ok': True}


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'publish':
        out = publish(int(sys.argv[2]), sys.argv[3])
    elif cmd == 'rt':
        out = round_trip(int(sys.argv[2]))
    elif cmd == 'cleanup':
        out = cleanup(sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        sys.exit(f'unknown command {cmd}')
    print(json.dumps(out), flush=True)
