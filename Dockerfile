# The estimator HTTP service: gunicorn serving estimator.app:create_app().
#
#   docker build -t compute-cost-estimator .
#   docker run --rm -p 8000:8000 --stop-timeout 30 compute-cost-estimator
#
# Put a buffering reverse proxy (nginx) in front in production; see the README's deployment notes.
# Images are not built in CI: scripts/test.sh lints this file with hadolint, checks gunicorn's
# configuration, and tests/app/test_app_gunicorn.py starts the CMD below on loopback.
# Pin the base by digest where you build: docker buildx imagetools inspect python:3.11-slim prints
# the current one; write it as python:3.11-slim@sha256:<digest> (this repository cannot fetch it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ESTIMATOR_BIND=0.0.0.0:8000

RUN groupadd --system --gid 10001 estimator \
 && useradd --system --uid 10001 --gid estimator --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin estimator

WORKDIR /srv/estimator

# Dependencies first, in their own layer: the ones pyproject.toml declares and its 'postgres' extra
# (for a shared PostgreSQL pricing store), at the versions in constraints.txt (what the tests ran
# with). A change to the source reuses this layer.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > /tmp/requirements.txt \
 && pip install --requirement /tmp/requirements.txt --constraint constraints.txt \
 && rm /tmp/requirements.txt

# Then the source, installed in editable mode without touching the dependencies (so the instance
# folder below stays next to the package, and seeds/ is read from the source tree). The check at
# the end fails the build when the seed data does not load.
COPY README.md gunicorn.conf.py ./
COPY seeds/ seeds/
COPY pricing/ pricing/
COPY estimator/ estimator/
RUN pip install --no-deps --editable . \
 && python -c "import sys; from estimator.app import create_app; sys.exit(0 if create_app().extensions['estimator'].ready else 1)" \
 && mkdir -p instance \
 && chown -R estimator:estimator instance

# Flask's instance folder holds the SQLite pricing store (ESTIMATOR_DATABASE_URL overrides it):
# writable by the service user only, and a volume so that imported prices survive the container.
VOLUME ["/srv/estimator/instance"]

# Numeric, so that the runtime (and Kubernetes' runAsNonRoot) can tell it is not root.
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM

# Liveness only (/healthz does no I/O); an orchestrator should also probe /readyz. The port is
# taken from ESTIMATOR_BIND, as gunicorn.conf.py does.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('ESTIMATOR_BIND', '127.0.0.1:8000').rsplit(':', 1)[1]; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "estimator.app:create_app()"]
