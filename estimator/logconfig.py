"""Logging: one format for the service and gunicorn, with each request's id on its lines.

Inputs: a level name. Output: a ``logging.config.dictConfig`` mapping (``dict_config``) that
gunicorn.conf.py passes as gunicorn's ``logconfig_dict``, so gunicorn's own lines (``gunicorn.error``)
and the app's (``estimator.*``, including one ``estimator.access`` line per request written by
``estimator/app/requestlog.py``) go to stdout in one format::

    2026-12-05T12:00:00+0000 INFO [4242] estimator.access 9f1c… 127.0.0.1 "POST /api/v1/estimates/training HTTP/1.1" 200 2345 B 3.1 ms

The request id comes from ``REQUEST_ID``, a context variable the app sets for the request it
serves ("-" outside a request), so any line logged while serving a request carries its id.
Standard library only: gunicorn's master process reads this without importing the app.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

#: The id of the request being served in this thread ("-" outside a request).
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")

FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s %(request_id)s %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each record (unless the caller gave one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


def dict_config(level: str = "INFO") -> dict[str, Any]:
    """One handler (stdout, one format) for the root logger and gunicorn's error logger."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"plain": {"format": FORMAT, "datefmt": DATE_FORMAT}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain",
                       "filters": ["request_id"]},
        },
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["stdout"], "propagate": False},
            # The app writes the request lines (with their ids); gunicorn's own access log is off.
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "alembic": {"level": "WARNING"},  # its INFO lines on every start say nothing to an operator
        },
    }


__all__ = ["DATE_FORMAT", "FORMAT", "REQUEST_ID", "RequestIdFilter", "dict_config"]
