#!/usr/bin/env bash
# Set up a virtual environment (if needed) and start the service with the embedded seed data.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# The same exact versions the tests ran with (constraints.txt).
.venv/bin/python -m pip install --quiet --disable-pip-version-check --constraint constraints.txt -e .
exec .venv/bin/gunicorn -c gunicorn.conf.py 'estimator.app:create_app()'
