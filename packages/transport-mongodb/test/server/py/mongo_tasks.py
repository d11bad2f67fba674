"""Python Celery (Debian's 5.2.6, kombu 5.2.4's MongoDB transport) on the broker the test names:
CQ_MONGO_BROKER (mongodb://…), results in CQ_MONGO_BACKEND (Redis). Tasks are named `mgpy.*`."""
import os

from celery import Celery

app = Celery('mongo_tasks', broker=os.environ['CQ_MONGO_BROKER'], backend=os.environ['CQ_MONGO_BACKEND'])
app.conf.broker_transport_options = {'polling_interval': 0.1}


@app.task(name='mgpy.mul')
def mul(x, y):
    return x * y


@app.task(name='mgpy.boom')
def boom(why):
    raise ValueError(f'python refused: {why}')
