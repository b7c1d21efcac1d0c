"""gunicorn settings, read from the environment.

    gunicorn -c gunicorn.conf.py 'estimator.app:create_app()'

Deployment note: put a *buffering* reverse proxy (nginx with ``proxy_request_buffering on``,
its default) in front of gunicorn. gunicorn's docs say so, and it was reproduced here: ten
clients uploading slowly tied up every sync and gthread worker, so the service stopped
answering. The proxy reads each request whole before passing it on. The README's deployment
notes have a sample nginx site.

Timeouts match a container stop period of 30 s (``docker stop -t 30``, compose
``stop_grace_period: 30s``, Kubernetes ``terminationGracePeriodSeconds: 30``): on SIGTERM
workers get ``graceful_timeout`` (25 s) to finish their requests, inside that period.
"""

import os
import secrets

from estimator.logconfig import dict_config

# Loopback unless told otherwise (the Dockerfile sets ESTIMATOR_BIND=0.0.0.0:8000 inside the container).
bind = os.environ.get("ESTIMATOR_BIND", "127.0.0.1:8000")
# An estimate is pure-Python CPU work, so one worker process per core uses the machine (threads
# of one process share one core through the GIL), and a few threads per worker overlap reading and
# writing sockets with computing; more threads only lengthen the tail as CPU-bound requests take
# turns. bench/bench_http.py measures the effect (docs/benchmarks.md).
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, os.cpu_count() or 1))))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))

timeout = 30  # a worker silent this long is killed and restarted
graceful_timeout = 25  # time to finish requests after SIGTERM
keepalive = 5  # seconds to hold an idle keep-alive connection; a proxy reusing connections must close them sooner

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
