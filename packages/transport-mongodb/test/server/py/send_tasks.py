"""A Python Celery client (mongo_tasks' app) sending cq's tasks to the queue named by argv[1]; prints
{"sum": ..., "refused": [class, message]} once the results are back (Redis)."""
import json
import sys

from mongo_tasks import app

queue = sys.argv[1]
total = app.send_task('mgt.add', args=[20], kwargs={'y': 22}, queue=queue).get(timeout=20)
try:
    app.send_task('mgt.refuse', args=['py'], queue=queue).get(timeout=20)
    refused = None
except Exception as exc:  # Celery raises the class it knows by the stored name
    refused = [type(exc).__name__, str(exc)]
print(json.dumps({'sum': total, 'refused': refused}))
