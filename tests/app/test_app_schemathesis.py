"""The external schemathesis run of issue 14, in CI: the real server (the image's gunicorn CMD on
loopback) and the schemathesis command line against the document it serves, with the repository's
``schemathesis.toml`` and its hooks (``tests/schemathesis_hooks.py``) as a user runs them, every check,
and 0 failures.

Beside ``test_app_fuzz.py`` (in-process, with the app's own problem-shape check and the core reached
through catalog ids), this is what a client of the published document sees over HTTP, and the one run
with ``positive_data_acceptance``: every request the document calls valid is answered 2xx, or 404 (an
id that is not in the catalog), 409 (values valid each on its own that cannot be met together: the
model does not fit, a latency target beyond the hardware; problem types conflicting-values and
does-not-fit; the pricing store's state: a roll-back with nothing to roll back to, a table with no
active version) or 401/403/429 (the pricing writes' token). A constraint the service enforces and the
document does not state is a failure here.

The check runs on every operation, the two multipart uploads too (pricing table versions, batch
estimates): the document declares their file part as xlsx, ods or csv (``encoding``), and the hooks
register a strategy per media type that draws a real file of it (``tests/workbooks.py``: pricing
tables from ``pricing/tables.py``'s declarations, scenario sheets), so the uploads are accepted (201,
200) and reach the store; the test asserts some were, from the server's access log. The service reads
a file's kind from the part's Content-Type when its name has no .xlsx, .ods or .csv extension
(schemathesis names it ``file.zip`` or ``file``); ``test_the_hooks_files_are_accepted_as_schemathesis_sends_them``
checks that in-process for every kind, and that a declared kind the content contradicts is still a 415.

Bounded for CI (the shipped config): the coverage phase sends valid boundary cases only (each number at
its minimum and maximum, each branch of a rule; its invalid cases run in-process in
``test_app_fuzz.py``), and leaves out the serving sensitivity analysis (~1,450 boundary cases, each a
Sobol analysis; its body is the serving estimate's, covered on that operation, plus three fields the
fuzzing phase draws). Here ``MAX_EXAMPLES`` generated requests per operation in the fuzzing and
stateful phases, a fixed seed and deterministic generation: every run sends the same ~2,800 requests.
``ESTIMATOR_SCHEMATHESIS_EXAMPLES=100`` digs deeper locally.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_app_gunicorn import serving  # the image's CMD on loopback (its own tests start it the same way)
from workbooks import batch_files, csv_table, file_sort, pricing_files

from estimator.app import create_app
from estimator.app.api.batch import XLSX
from pricing.read import ACCEPTED, MEDIA_TYPES

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = ROOT / "schemathesis.toml"  # the shipped one, with its hooks
MAX_EXAMPLES = int(os.environ.get("ESTIMATOR_SCHEMATHESIS_EXAMPLES", "5"))
TOKEN = "schemathesis-test-token-of-32-characters"
#: The access log's line of an upload: the operation and the status.
UPLOAD_LINE = re.compile(r'"POST /api/v1/(pricing-tables/[^/ ]+/versions|estimates/batch) HTTP/[0-9.]+" (\d{3}) ')


def test_the_served_document_holds_under_every_schemathesis_check(tmp_path):
    settings = {
        "WEB_CONCURRENCY": "2",
        "ESTIMATOR_ADMIN_TOKEN": TOKEN,  # writes are tested past the token
        # No rate limit on failed authentications: the checks that send a wrong token (ignored_auth)
        # expect 401 each time, not 429 after the tenth.
        "ESTIMATOR_AUTH_FAILURES_LIMIT": "",
    }
    with serving(tmp_path, settings) as port:
        url = f"http://127.0.0.1:{port}/api/v1/openapi.json"
        with urllib.request.urlopen(url, timeout=10) as response:
            document = json.load(response)
        operations = sum(1 for item in document["paths"].values() for method in item
                         if method in {"get", "post", "put", "patch", "delete"})
        # --checks all, as the issue runs it (object_level_authorization, which needs two configured users,
        # reports nothing to check).
        command = [str(SCHEMATHESIS), "--no-color", "--config-file", str(CONFIG), "run", url, "--checks", "all",
                   "-H", f"Authorization: Bearer {TOKEN}", "--workers", "1", "--max-examples", str(MAX_EXAMPLES),
                   "--seed", "1", "--generation-deterministic"]
        # cwd: schemathesis keeps a cache folder (.schemathesis) where it runs; the config names its hooks as
        # the module tests.schemathesis_hooks, which a run from the repository root imports as it is.
        run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert re.search(rf"Tested:\s+{operations}\b", output), output  # every operation was generated for
    cases = re.search(r"Test cases:\s+(\d+) generated, (\d+) passed", output)
    assert cases is not None and cases.group(1) == cases.group(2), output  # none failed or errored
    uploads = Counter(f"{path.split('/')[0]} {status}"
                      for path, status in UPLOAD_LINE.findall((tmp_path / "gunicorn.log").read_text(errors="replace")))
    print(dict(sorted(uploads.items())))
    # The hooks' files got through: new pricing table versions were stored (201 is the upload's only 2xx;
    # a batch's 200 may answer a JSON body too, so its files are checked in-process below).
    assert uploads["pricing-tables 201"] >= MAX_EXAMPLES, uploads


#: How schemathesis sends a file part it generated: named after the field (``file``), with ``.zip`` for a
#: zip container (xlsx, ods), and the Content-Type it chose among the document's ``encoding``.
SENT_AS = {kind: ("file" if kind == "csv" else "file.zip", media_type) for media_type, kind in MEDIA_TYPES.items()}


@pytest.fixture(scope="module")
def uploads_client():
    return create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "AUTH_FAILURES_LIMIT": ""}).test_client()


def _post(client, path: str, data: bytes, kind: str, **fields: str):
    name, media_type = SENT_AS[kind]
    return client.post(path, data={"file": (io.BytesIO(data), name, media_type), **fields},
                       headers={"Authorization": f"Bearer {TOKEN}"}, content_type="multipart/form-data")


@pytest.mark.parametrize("kind", sorted(SENT_AS))
@settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_hooks_files_are_accepted_as_schemathesis_sends_them(uploads_client, kind, data) -> None:
    """Each strategy the hooks register draws files both uploads accept, sent the way schemathesis sends
    them; ``file_sort`` (the hooks' ``filter_case``) tells the two sorts apart."""
    table = data.draw(pricing_files(kind), label="pricing table")
    scenarios = data.draw(batch_files(kind), label="scenarios")
    assert (file_sort(table, kind), file_sort(scenarios, kind)) == ("pricing", "scenarios")
    sheet = {"sheet": csv_table(table) or ""} if kind == "csv" else {}  # the hooks' map_case
    response = _post(uploads_client, "/api/v1/pricing-tables/hooks/versions", table, kind, **sheet)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["file_name"] == SENT_AS[kind][0]
    response = _post(uploads_client, "/api/v1/estimates/batch", scenarios, kind)
    assert response.status_code == 200, response.get_data()[:500]
    assert response.mimetype == ("text/csv" if kind == "csv" else XLSX)  # csv in, csv out


@pytest.mark.parametrize(("kind", "content", "holds"), [
    ("csv", b"\x89PNG\r\n\x1a\n\x00\x00", "binary data"),
    ("xlsx", b"provider,gpu\r\nAcme,h100-sxm\r\n", "text"),
    ("ods", b"provider,gpu\r\nAcme,h100-sxm\r\n", "text"),
])
def test_a_declared_kind_the_content_contradicts_is_refused(uploads_client, kind, content, holds) -> None:
    name, media_type = SENT_AS[kind]
    for path in ("/api/v1/pricing-tables/hooks/versions", "/api/v1/estimates/batch"):
        response = _post(uploads_client, path, content, kind)
        assert response.status_code == 415, response.get_json()
        assert response.get_json()["detail"] == (
            f"'{name}' is sent as {media_type} but holds {holds}. Accepted: {ACCEPTED}; the media type must match "
            "the content (save the file again in one of these formats).")
