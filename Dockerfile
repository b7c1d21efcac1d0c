# The estimator HTTP service: gunicorn serving estimator.app:create_app().
#
#   docker build -t compute-cost-estimator .
#   docker run --rm -p 8000:8000 --stop-timeout 30 compute-cost-estimator
#
# Put a buffering reverse proxy (nginx) in front in production; see gunicorn.conf.py.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 estimator \
 && useradd --system --uid 10001 --gid estimator --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin estimator

WORKDIR /srv/estimator

# The core reads seeds/ next to the estimator/ package (estimator.catalog.SEEDS_DIR), so the
# source tree stays here and the project is installed in editable mode on top of it.
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY seeds/ seeds/
COPY pricing/ pricing/
COPY estimator/ estimator/
RUN pip install -e . \
 && python -c "import sys; from estimator.app import create_app; sys.exit(0 if create_app().extensions['estimator'].ready else 1)"

USER estimator
EXPOSE 8000
STOPSIGNAL SIGTERM

# Liveness only (/healthz does no I/O); an orchestrator should also probe /readyz. Port as in ESTIMATOR_BIND.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "estimator.app:create_app()"]
