"""Python kombu (Debian's 5.2.4, MongoDB transport) on the same database as cq, one command per run:
`python3 kombu_peer.py <url> '<json>'`, the JSON being {"cmd": ..., ...}; prints one JSON document.

- get {queue, count}: takes up to `count` messages (basic_get, no ack: kombu deletes on take) →
  [{body, priority, redelivered}] in the order taken.
- put {queue, messages: [{body, priority}]}: publishes text/plain messages through the default exchange.
- bind_topic {exchange, queue, key}: declares a topic exchange and a queue bound to it with `key`.
- fanout {exchange, body}: declares a fanout exchange and publishes one message to it.
"""
import json
import sys

from kombu import Connection, Exchange, Producer, Queue


def main():
    url, spec = sys.argv[1], json.loads(sys.argv[2])
    with Connection(url, transport_options={'polling_interval': 0.1}) as conn:
        ch = conn.channel()
        cmd = spec['cmd']
        if cmd == 'get':
            queue = Queue(spec['queue'], channel=ch)
            out = []
            for _ in range(spec['count']):
                msg = queue.get(no_ack=True)
                if msg is None:
                    break
                body = msg.body.decode() if isinstance(msg.body, bytes) else msg.body
                out.append({'body': body, 'priority': msg.properties.get('priority'),
                            'redelivered': bool(msg.delivery_info.get('redelivered'))})
            print(json.dumps(out))
        elif cmd == 'put':
            producer = Producer(ch)
            for m in spec['messages']:
                producer.publish(m['body'], routing_key=spec['queue'], content_type='text/plain', content_encoding='utf-8',
                                 priority=m['priority'])
            print(json.dumps({'put': len(spec['messages'])}))
        elif cmd == 'bind_topic':
            exchange = Exchange(spec['exchange'], type='topic')
            Queue(spec['queue'], exchange, routing_key=spec['key'], channel=ch).declare()
            print(json.dumps({'bound': True}))
        elif cmd == 'fanout':
            exchange = Exchange(spec['exchange'], type='fanout', channel=ch)
            exchange.declare()
            Producer(ch).publish(spec['body'], exchange=exchange, routing_key='', content_type='text/plain', content_encoding='utf-8')
            print(json.dumps({'published': True}))


main()
