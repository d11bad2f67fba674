"""What Celery's MongoBackend (celery/backends/mongodb.py, Debian's Celery 5.2.6) writes, computed by
its own store_result and save_group on collections that record the writes instead of sending them.

Called as `python3 celery_documents.py '<json>'` with {"serializer", "extended", "store": [{id, state,
result | exception: {type, args}, traceback, request: {task, args, kwargs, hostname, retries,
routing_key, group, parent_id, children: [ids]}}], "groups": [{id, children: [ids]}]}; prints one JSON
document {"store": [doc], "groups": [doc]} with each document's keys in the order Celery wrote them.
Dicts become {"$pairs": [[key, value], ...]}, dates {"$date": <naive ISO>}, Binary {"$binary": <hex>}.
"""
import datetime
import json
import sys

from bson.binary import Binary
from celery import Celery
from celery.app.task import Context
from celery.result import AsyncResult, GroupResult


class Recorder:
    def __init__(self):
        self.writes = []

    def replace_one(self, spec, doc, upsert=False):
        self.writes.append(doc)


def plain(value):
    if isinstance(value, datetime.datetime):
        return {'$date': value.isoformat()}
    if isinstance(value, Binary):
        return {'$binary': bytes(value).hex()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {'$pairs': [[k, plain(v)] for k, v in value.items()]}  # keeps the key order
    return value


def main():
    spec = json.loads(sys.argv[1])
    app = Celery('cq_documents', backend='mongodb://localhost:27017/cq_documents', set_as_current=False)
    app.conf.result_serializer = spec.get('serializer', 'json')
    app.conf.accept_content = app.conf.result_accept_content = ['json', 'msgpack']
    app.conf.result_extended = spec.get('extended', False)
    backend = app.backend
    backend.collection = Recorder()
    backend.group_collection = Recorder()
    for op in spec.get('store', []):
        req = op.get('request')
        request = None
        if req is not None:
            request = Context(id=op['id'], task=req.get('task'), args=req.get('args'), kwargs=req.get('kwargs'),
                              hostname=req.get('hostname'), retries=req.get('retries'),
                              delivery_info={'routing_key': req.get('routing_key')}, group=req.get('group'),
                              parent_id=req.get('parent_id'))
            request.children.extend(AsyncResult(c, app=app) for c in req.get('children', []))  # a property: not a Context kwarg
        result = op.get('result')
        if 'exception' in op:
            result = getattr(__builtins__, op['exception']['type'])(*op['exception']['args'])
        backend.store_result(op['id'], result, op['state'], traceback=op.get('traceback'), request=request)
    for op in spec.get('groups', []):
        backend.save_group(op['id'], GroupResult(op['id'], [AsyncResult(c, app=app) for c in op['children']], app=app))
    print(json.dumps({'store': [plain(d) for d in backend.collection.writes],
                      'groups': [plain(d) for d in backend.group_collection.writes]}))


main()
