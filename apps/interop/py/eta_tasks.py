"""Python side of test/eta-parking.test.ts: the app of interop_tasks plus `mix.stamp`.

Worker:  /usr/bin/python3 -m celery -A eta_tasks worker -P solo
Client:  /usr/bin/python3 eta_tasks.py '<json request>'  (as interop_tasks.py)
"""
import json
import os
import sys
import time

from interop_tasks import app, client


@app.task(name='mix.stamp')
def stamp(key, n):
    """Appends 'py:<n>:<ms since the epoch>' to the Redis list key (db CQ_INTEROP_COUNTER_DB)."""
    import redis
    at = int(time.time() * 1000)
    redis.Redis(host='127.0.0.1', port=6379, db=int(os.environ.get('CQ_INTEROP_COUNTER_DB', '15'))).rpush(key, 'py:%d:%d' % (n, at))


if __name__ == '__main__':
    print(json.dumps(client(json.loads(sys.argv[1]))))
