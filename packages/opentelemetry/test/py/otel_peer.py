"""The Python side of @cq/opentelemetry's tests (Debian's Celery 5.2.6; no OpenTelemetry package).

Python's opentelemetry-instrumentation-celery injects the trace context in `_trace_before_publish`:
a `before_task_publish` receiver that calls `inject(headers)` on the message headers it is given,
and its default W3C propagator writes `traceparent` ("00-<trace id>-<span id>-<flags>", lowercase
hex) and, when not empty, `tracestate`. The client below does exactly that, with a known trace id
and span id. On the worker side the instrumentation reads `getattr(task.request, 'traceparent')`
(its CeleryGetter); the task `otel.py.trace_headers` reports what that read gives.

Worker:  python3 -m celery -A otel_peer worker -P solo ...   (env CQ_OTEL_BROKER, CQ_OTEL_BACKEND, CQ_OTEL_QUEUE)
Client:  python3 otel_peer.py '<json request>'                 (prints one JSON line)
  {"name": ..., "args": [...], "traceparent": {"trace_id": "<32 hex>", "span_id": "<16 hex>", "flags": 1},
   "tracestate": "k=v", "wait": true, "peek": "<queue>"}
"""
import json
import os
import sys

from celery import Celery
from celery.signals import before_task_publish

app = Celery('otel_peer', broker=os.environ['CQ_OTEL_BROKER'], backend=os.environ['CQ_OTEL_BACKEND'])
app.conf.task_default_queue = os.environ['CQ_OTEL_QUEUE']
app.conf.result_expires = 300


@app.task(name='otel.py.trace_headers', bind=True)
def trace_headers(self):
    """What the instrumentation's CeleryGetter would extract from this request."""
    return {
        'traceparent': getattr(self.request, 'traceparent', None),
        'tracestate': getattr(self.request, 'tracestate', None),
    }


def main():
    request = json.loads(sys.argv[1])
    parent = request.get('traceparent')
    if parent:
        trace_id, span_id = int(parent['trace_id'], 16), int(parent['span_id'], 16)
        # opentelemetry.trace.propagation.tracecontext.TraceContextTextMapPropagator.inject
        traceparent = '00-{:032x}-{:016x}-{:02x}'.format(trace_id, span_id, parent.get('flags', 1))
        tracestate = request.get('tracestate')

        def inject(sender=None, headers=None, **kwargs):
            # CeleryInstrumentor._trace_before_publish: `if headers: inject(headers)`
            if headers:
                headers['traceparent'] = traceparent
                if tracestate:
                    headers['tracestate'] = tracestate

        before_task_publish.connect(inject, weak=False)
    result = app.send_task(request['name'], args=request.get('args', []), queue=request.get('queue'))
    out = {'id': result.id}
    if request.get('wait', True):
        out['result'] = result.get(timeout=20)
    if request.get('peek'):
        # The raw kombu envelopes waiting in a Redis queue (nothing consumes it).
        client = app.connection().default_channel.client
        out['raw'] = [json.loads(m) for m in client.lrange(request['peek'], 0, -1)]
    print(json.dumps(out))


if __name__ == '__main__':
    main()
