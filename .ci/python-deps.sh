#!/usr/bin/env bash
# Installs the Debian Python Celery stack used by the interop tests and by spec/capture/*.py:
# python3-celery (5.2.6 on bookworm), python3-kombu, python3-redis, python3-msgpack, python3-yaml.
# Idempotent: does nothing when /usr/bin/python3 can already import them. Needs root (or sudo).
# Run Python Celery afterwards as `/usr/bin/python3 -m celery` (a pyenv `python3` on PATH lacks it).
set -euo pipefail

PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import celery, redis, msgpack, yaml' >/dev/null 2>&1; then
  echo "python-deps: celery $("$PY" -c 'import celery; print(celery.__version__)') already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y \
  python3-celery python3-redis python3-msgpack python3-yaml

"$PY" -c 'import celery, kombu; print("python-deps: celery", celery.__version__, "kombu", kombu.__version__)'
