"""Python Celery side of the interop tests: an app on kombu's SQLAlchemy transport
(``sqla+postgresql://``), results in Redis. Environment: CQ_PG_BROKER, CQ_PG_BACKEND, CQ_PG_QUEUE."""
import os

from celery import Celery

app = Celery('pgpy', broker=os.environ['CQ_PG_BROKER'], backend=os.environ['CQ_PG_BACKEND'])
app.conf.task_default_queue = os.environ['CQ_PG_QUEUE']
# kombu 5.2's SQLAlchemy transport hands every transport option but the table names to
# create_engine(), so kombu's polling_interval cannot be set here: the worker polls every second.
app.conf.worker_hijack_root_logger = False


@app.task(name='pgpy.mul')
def mul(x, y):
    return x * y


@app.task(name='pgpy.concat')
def concat(a, b='', sep='-'):
    return sep.join([a, b])


@app.task(name='pgpy.boom')
def boom(why):
    raise ValueError('python refused: ' + why)
