"""A Python Celery 5.2 client of @cq/http-tasks' tests: calls the HTTP task by its Celery 3 name.

python3 http_client.py '{"name": "celery.task.http.HttpDispatchTask", "args": [url, "POST"], "kwargs": {...}}'
(env CQ_HTTP_BROKER, CQ_HTTP_BACKEND, CQ_HTTP_QUEUE) prints one JSON line: {"id", "state", "result"}
or, when the task failed, {"id", "state", "error": <exception class name>, "message": <str(exc)>}.
"""
import json
import os
import sys

from celery import Celery

app = Celery('http_client', broker=os.environ['CQ_HTTP_BROKER'], backend=os.environ['CQ_HTTP_BACKEND'])
app.conf.task_default_queue = os.environ['CQ_HTTP_QUEUE']


def main():
    request = json.loads(sys.argv[1])
    result = app.send_task(request['name'], args=request.get('args', []), kwargs=request.get('kwargs', {}))
    try:
        value = result.get(timeout=20)
        out = {'id': result.id, 'state': result.state, 'result': value}
    except Exception as exc:  # the task's failure, rebuilt by Celery from the stored exc_type
        out = {'id': result.id, 'state': result.state, 'error': type(exc).__name__, 'message': str(exc)}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
