"""gunicorn settings, read from the environment.

    gunicorn -c gunicorn.conf.py 'estimator.app:create_app()'

Slow and idle clients: the workers are gevent workers (``BoundedGeventWorker``). Each connection
is a greenlet, so a client that trickles its request, or connects and sends nothing, holds a few
KB of memory rather than one of a handful of threads: with gthread (2 workers x 2 threads), four
trickling connections stopped the service and forty idle ones took it down for 30 s. Estimates are
CPU-bound and run one at a time per worker either way; what changes is that waiting on a socket no
longer blocks anyone. Read timeouts, so that no connection is held for ever:

- request line and headers: within ``keepalive`` (5 s) of the connection opening or of the
  previous response (gunicorn's async workers time the header read with it), else closed;
- a body: ``READ_TIMEOUT_S`` (15 s, ``GUNICORN_READ_TIMEOUT``) without a byte ends the request
  (the client's socket timeout);
- ``worker_connections`` (1,000 per worker) bounds the connections a worker holds at once.

A buffering reverse proxy (nginx) in front stays a good idea where the service faces the
internet (it also terminates TLS); the README's deployment notes have a sample site.
bench/bench_limits.py measures the service under 50 slow and idle connections (docs/benchmarks.md).

Timeouts match a container stop period of 30 s (``docker stop -t 30``, compose
``stop_grace_period: 30s``, Kubernetes ``terminationGracePeriodSeconds: 30``): on SIGTERM
workers get ``graceful_timeout`` (25 s) to finish their requests, inside that period.
"""

import os
import secrets
from typing import Any

from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

from estimator.logconfig import dict_config

# Loopback unless told otherwise (the Dockerfile sets ESTIMATOR_BIND=0.0.0.0:8000 inside the container).
bind = os.environ.get("ESTIMATOR_BIND", "127.0.0.1:8000")
# An estimate is pure-Python CPU work, so one worker process per core uses the machine; within a
# worker, gevent overlaps reading and writing sockets with computing (one computation at a time, as
# threads sharing the GIL would). bench/bench_http.py measures the throughput (docs/benchmarks.md).
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, os.cpu_count() or 1))))
#: Seconds a request body may go without a byte before its request is ended (GUNICORN_READ_TIMEOUT).
READ_TIMEOUT_S = float(os.environ.get("GUNICORN_READ_TIMEOUT", "15"))


class BoundedGeventWorker(GeventWorker):
    """gunicorn's gevent worker with a read timeout on every client socket (``READ_TIMEOUT_S``):
    gunicorn's own sets them blocking, so a body that stalls would hold its greenlet for ever."""

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        client.settimeout(READ_TIMEOUT_S)
        AsyncWorker.handle(self, listener, client, addr)  # GeventWorker.handle would make it blocking


worker_class = BoundedGeventWorker
worker_connections = 1000  # connections one worker holds at once (gunicorn's default, stated)

# A worker whose event loop is silent this long (a request computing for 30 s keeps it from
# answering the master) is killed and restarted with the requests it held; no single estimate
# comes near it (docs/benchmarks.md).
timeout = 30
graceful_timeout = 25  # time to finish requests after SIGTERM
keepalive = 5  # seconds to wait for a request's headers (and for the next one on a kept-alive connection)

# gunicorn 27's control socket (gunicornc) would sit in $HOME/.gunicorn, unwritable for the
# image's user and shared by every instance on a host: not used here.
control_socket_disable = True
# One log format for gunicorn and the app, to stdout (estimator/logconfig.py); the app writes one
# line per request with its id (estimator/app/requestlog.py), so gunicorn's access log is off.
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = None
errorlog = "-"
logconfig_dict = dict_config(loglevel)

# Without ESTIMATOR_SECRET_KEY (or ESTIMATOR_ADMIN_TOKEN, from which the app derives one), every
# worker would make its own random key, warn, and reject the others' CSRF tokens: make one here,
# in the master, for all of this server's workers, and warn once when the server starts.
_MADE_SECRET_KEY = not (os.environ.get("ESTIMATOR_SECRET_KEY") or os.environ.get("ESTIMATOR_ADMIN_TOKEN"))
if _MADE_SECRET_KEY:
    os.environ["ESTIMATOR_SECRET_KEY"] = secrets.token_hex(32)


def on_starting(server):
    if _MADE_SECRET_KEY:
        server.log.warning(
            "No ESTIMATOR_SECRET_KEY configured: made a random one shared by this server's workers. Forms "
            "with a CSRF token fail after a restart and across instances; set ESTIMATOR_SECRET_KEY to one "
            "shared value.")

# gunicorn's defaults, stated: bounds on the request line and headers before the app sees them
# (the body limit is the app's MAX_CONTENT_LENGTH).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
