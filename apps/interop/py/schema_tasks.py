"""Python side of the argument-schema interop test (test/schema.test.ts).

Worker:  CQ_INTEROP_BROKER=... CQ_INTEROP_BACKEND=... CQ_INTEROP_QUEUE=... \
         /usr/bin/python3 -m celery -A schema_tasks worker -P solo
Client:  /usr/bin/python3 schema_tasks.py '{"name", "args", "kwargs", "timeout"}'  (prints one JSON line)

`py.schema.signup` validates its argument with a pydantic model by hand, as Celery 5.5's
`pydantic=True` does for a parameter annotated with a model (Debian's Celery 5.2 has no such
option). A refusal is raised as `ValidationError(str(exc))`: pydantic's own ValidationError keeps
Python objects in its args, which the json result serializer stores as their repr, so a client in
another language (or Python, which cannot rebuild it either) would get no readable message.
"""
import json
import sys

import pydantic

from interop_tasks import app  # noqa: F401  (the worker's -A module must expose the app)


class User(pydantic.BaseModel):
    email: str
    age: pydantic.conint(ge=18)


class ValidationError(ValueError):
    """Arguments refused by a model; the one argument is pydantic's message."""


def validated(model, value):
    """`model.model_validate(value)` (pydantic 2; `parse_obj` on 1), re-raised as text."""
    try:
        return model.model_validate(value) if hasattr(model, 'model_validate') else model.parse_obj(value)
    except pydantic.ValidationError as exc:
        raise ValidationError(str(exc)) from None


def dumped(model):
    """Celery 5.5 returns `model.model_dump(mode='json')` (pydantic 2; `.json()` loaded on 1)."""
    return model.model_dump(mode='json') if hasattr(model, 'model_dump') else json.loads(model.json())


@app.task(name='py.schema.signup')
def signup(user):
    return {**dumped(validated(User, user)), 'by': 'py'}


def client(request):
    """Sends one task by name and waits; a failure reports the rebuilt exception's class and text."""
    result = app.send_task(request['name'], args=request.get('args', []), kwargs=request.get('kwargs', {}))
    try:
        value = result.get(timeout=request.get('timeout', 20))
        return {'id': result.id, 'state': result.state, 'result': value}
    except Exception as exc:  # the remote error, rebuilt by Celery
        return {'id': result.id, 'state': result.state, 'error': type(exc).__name__, 'message': str(exc),
                'module': type(exc).__module__}


if __name__ == '__main__':
    print(json.dumps(client(json.loads(sys.argv[1]))))
