"""Python Celery side of the message-signing interop test: an app with app.setup_security().

Worker:  CQ_INTEROP_BROKER=... CQ_INTEROP_BACKEND=... CQ_SIGNING_KEY=... CQ_SIGNING_CERT=... \
         CQ_SIGNING_STORE='<glob>' /usr/bin/python3 -m celery -A signed_tasks worker -P solo
Client:  /usr/bin/python3 signed_tasks.py '<json request>'  (prints one JSON line)
         {"name", "args", "options", "timeout"} sends and waits; {"send": [{"name", "args", "options"}]} only sends.
"""
import json
import os
import sys

from celery import Celery

app = Celery('signed', broker=os.environ['CQ_INTEROP_BROKER'], backend=os.environ['CQ_INTEROP_BACKEND'])
app.conf.update(
    task_serializer='auth',
    accept_content=['auth'],
    result_accept_content=['json'],  # results are not signed; without this Celery cannot read them
    task_default_queue=os.environ.get('CQ_INTEROP_QUEUE', 'celery'),
    worker_hijack_root_logger=False,
    security_key=os.environ['CQ_SIGNING_KEY'],
    security_certificate=os.environ['CQ_SIGNING_CERT'],
    security_cert_store=os.environ['CQ_SIGNING_STORE'],
)
app.setup_security()


@app.task(name='py.signed.add')
def add(x, y):
    return x + y


def client(request):
    if 'send' in request:
        return {'ids': [app.send_task(c['name'], args=c.get('args', []), **c.get('options', {})).id for c in request['send']]}
    result = app.send_task(request['name'], args=request.get('args', []), **request.get('options', {}))
    return {'id': result.id, 'result': result.get(timeout=request.get('timeout', 20)), 'state': result.state}


if __name__ == '__main__':
    print(json.dumps(client(json.loads(sys.argv[1]))))
