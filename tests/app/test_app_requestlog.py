"""Request ids and the request log (estimator/app/requestlog.py), the one log format
(estimator/logconfig.py) and the secret key gunicorn's master makes once (gunicorn.conf.py)."""

from __future__ import annotations

import logging
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from estimator.app import create_app
from estimator.logconfig import REQUEST_ID, RequestIdFilter, dict_config

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r'127\.0\.0\.1 "GET /healthz HTTP/1\.1" 200 16 B \d+\.\d ms')


def access_records(caplog):
    return [r for r in caplog.records if r.name == "estimator.access"]


def test_each_request_has_one_line_with_the_id_it_answers(client, caplog):
    caplog.set_level(logging.INFO, logger="estimator.access")
    response = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a:1"})
    assert response.headers["X-Request-ID"] == "edge-7f3a:1"
    (record,) = access_records(caplog)
    assert record.request_id == "edge-7f3a:1" and record.levelname == "INFO"
    assert LINE.fullmatch(record.getMessage())


@pytest.mark.parametrize("given", [None, "", "has space", "x" * 129, "<script>"])
def test_an_unusable_or_missing_id_is_replaced_by_a_new_one(client, caplog, given):
    caplog.set_level(logging.INFO, logger="estimator.access")
    headers = {} if given is None else {"X-Request-ID": given}
    first, second = (client.get("/healthz", headers=headers).headers["X-Request-ID"] for _ in range(2))
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second) and first != second
    assert [r.request_id for r in access_records(caplog)] == [first, second]


def test_lines_logged_while_serving_carry_the_id_and_none_after(caplog):
    app = create_app({"TESTING": True})

    @app.get("/logs-something")
    def logs_something():
        logging.getLogger("estimator.test").warning("inside")
        return "ok"

    caplog.handler.addFilter(RequestIdFilter())
    app.test_client().get("/logs-something", headers={"X-Request-ID": "abc"})
    logging.getLogger("estimator.test").warning("outside")
    assert [(r.getMessage(), r.request_id) for r in caplog.records if r.name == "estimator.test"] == [
        ("inside", "abc"), ("outside", "-")]
    assert REQUEST_ID.get() == "-"


def test_gunicorn_and_the_app_write_one_format():
    script = (
        "import logging, logging.config\n"
        "from estimator.logconfig import REQUEST_ID, dict_config\n"
        "logging.config.dictConfig(dict_config('info'))\n"
        "logging.getLogger('gunicorn.error').info('Booting worker')\n"
        "REQUEST_ID.set('r-1')\n"
        "logging.getLogger('estimator.app.errors').error('failed')\n"
        "logging.getLogger('alembic.runtime.migration').info('Context impl SQLiteImpl.')\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}"
    lines = out.stdout.splitlines()
    assert (len(lines), out.stderr) == (2, "")
    assert re.fullmatch(stamp + r" INFO \[\d+\] gunicorn\.error - Booting worker", lines[0])
    assert re.fullmatch(stamp + r" ERROR \[\d+\] estimator\.app\.errors r-1 failed", lines[1])


def test_gunicorn_uses_that_format_and_no_access_log_of_its_own(monkeypatch):
    monkeypatch.setenv("ESTIMATOR_SECRET_KEY", "configured")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["logconfig_dict"] == dict_config(settings["loglevel"])
    assert settings["accesslog"] is None


def test_without_a_secret_key_the_master_makes_one_for_every_worker_and_warns_once(monkeypatch, caplog):
    monkeypatch.setenv("ESTIMATOR_SECRET_KEY", "")
    monkeypatch.delenv("ESTIMATOR_ADMIN_TOKEN", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    key = os.environ["ESTIMATOR_SECRET_KEY"]
    assert re.fullmatch(r"[0-9a-f]{64}", key)

    class Server:
        log = logging.getLogger("gunicorn.error")

    caplog.set_level(logging.WARNING)
    settings["on_starting"](Server())
    workers = [create_app({"DATABASE_URL": "sqlite://"}) for _ in range(2)]  # each worker's app: the master's key, no warning of its own
    assert [w.config["SECRET_KEY"] for w in workers] == [key, key]
    assert [(r.name, r.levelname) for r in caplog.records] == [("gunicorn.error", "WARNING")]
    assert "set ESTIMATOR_SECRET_KEY to one shared value" in caplog.records[0].getMessage()
