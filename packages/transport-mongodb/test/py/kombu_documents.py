"""What kombu's MongoDB transport (kombu/transport/mongodb.py, Debian's kombu 5.2.4) writes, computed
by kombu's own Channel methods on collections that record the calls instead of sending them.

Called as `python3 kombu_documents.py '<json>'` with {"put": [...], "bind": [...], "declare": [...],
"patterns": [...]}; prints one JSON document with the documents kombu would write. Dates are
milliseconds since the epoch (kombu writes naive UTC datetimes).
"""
import calendar
import json
import sys
from types import SimpleNamespace

from kombu.transport import mongodb
from kombu.transport.virtual.base import BrokerState
from kombu.transport.virtual.exchange import STANDARD_EXCHANGE_TYPES, TopicExchange


class Recorder:
    """Stands in for a pymongo collection: records writes, answers find_one from `docs`."""

    def __init__(self, docs=None):
        self.writes = []
        self.docs = docs or {}

    def insert(self, doc):
        self.writes.append(dict(doc))

    def update(self, spec, doc, upsert=False, **kwargs):
        self.writes.append({'spec': spec, 'doc': doc, 'upsert': upsert})

    def find_one(self, spec):
        return self.docs.get(spec.get('_id'))

    def find(self, *args, **kwargs):
        return SimpleNamespace(count=lambda: 0, skip=lambda n: None)


def channel(ttl, queue_docs):
    ch = mongodb.Channel.__new__(mongodb.Channel)
    ch.ttl = ttl
    ch.messages = Recorder()
    ch.routing = Recorder()
    ch.queues = Recorder(queue_docs)
    ch.broadcast = Recorder()
    ch._broadcast_cursors = {}
    ch.connection = SimpleNamespace(state=BrokerState())
    ch.exchange_types = {name: cls(ch) for name, cls in STANDARD_EXCHANGE_TYPES.items()}
    return ch


def millis(value):
    return None if value is None else calendar.timegm(value.utctimetuple()) * 1000 + value.microsecond // 1000


def main():
    spec = json.loads(sys.argv[1])
    ttl = spec.get('ttl', False)
    queue_docs = {name: {'_id': name, 'options': {'arguments': args}} for name, args in spec.get('queue_arguments', {}).items()}
    ch = channel(ttl, queue_docs)
    out = {'put': [], 'bind': [], 'declare': [], 'patterns': []}
    for item in spec.get('put', []):
        ch._put(item['queue'], item['envelope'])
        doc = ch.messages.writes.pop()
        doc['payload'] = json.loads(doc['payload'])
        if 'expire_at' in doc:
            doc['expire_at'] = millis(doc['expire_at'])
        out['put'].append(doc)
    for item in spec.get('bind', []):
        ch.state.exchanges[item['exchange']] = {'type': item['type'], 'durable': True, 'auto_delete': False, 'arguments': {}, 'table': []}
        meta = ch.typeof(item['exchange']).prepare_bind(item['queue'], item['exchange'], item['routing_key'], {})
        ch._queue_bind(item['exchange'], *meta)
        write = ch.routing.writes.pop()
        doc = write['doc']
        if 'expire_at' in doc:
            doc['expire_at'] = millis(doc['expire_at'])
        out['bind'].append({'lookup': write['spec'], 'doc': doc, 'upsert': write['upsert']})
    for item in spec.get('declare', []):
        # What Queue.queue_declare passes on to Channel.queue_declare, which calls _new_queue.
        ch._new_queue(item['name'], durable=item['durable'], exclusive=item['exclusive'],
                      auto_delete=item['auto_delete'], arguments=item['arguments'], nowait=False)
        write = ch.queues.writes.pop()
        doc = write['doc']
        doc['expire_at'] = millis(doc['expire_at'])
        out['declare'].append(doc)
    out['patterns'] = [TopicExchange(ch).key_to_pattern(key) for key in spec.get('patterns', [])]
    print(json.dumps(out))


main()
