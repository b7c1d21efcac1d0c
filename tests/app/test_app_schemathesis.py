"""The external schemathesis run of issue 14, in CI: the real server (the image's gunicorn CMD on
loopback) and the schemathesis command line against the document it serves, every check, and 0
failures.

Beside ``test_app_fuzz.py`` (in-process, with the app's own problem-shape check and the core reached
through catalog ids), this is what a client of the published document sees over HTTP, and the one run
with ``positive_data_acceptance``: every request the document calls valid is answered 2xx, or 404 (an
id that is not in the catalog), 409 (values valid each on its own that cannot be met together: the
model does not fit, a latency target beyond the hardware; problem types conflicting-values and
does-not-fit) or 401/403/429 (the pricing writes' token). A constraint the service enforces and the
document does not state is a failure here.

One exception, in the config below: ``positive_data_acceptance`` on the two multipart uploads
(pricing table versions, batch estimates). The document can say the file is binary, and the media
types, but not what makes a spreadsheet a pricing table; schemathesis sends a PNG, a PDF or random
bytes as the file, which is rightly 415 (not xlsx, ods or csv) or 422 (the file's problems, by row
and column). Every other check runs on them, and positive data is checked on every other operation.

Bounded for CI: ``MAX_EXAMPLES`` generated requests per operation in the fuzzing and stateful phases,
the documented examples, and the coverage phase's valid boundary cases (each number at its minimum
and maximum, each branch of a rule); its invalid cases run in-process in ``test_app_fuzz.py``. The
serving sensitivity analysis is left out of the coverage phase: its ~1,450 boundary cases each run a
Sobol analysis (90 of 140 s), and its body is the serving estimate's, covered on that operation, plus
three fields the fuzzing phase draws. A fixed seed and deterministic generation: every run sends the
same ~4,000 requests. ``ESTIMATOR_SCHEMATHESIS_EXAMPLES=100`` digs deeper locally.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from test_app_gunicorn import serving  # the image's CMD on loopback (its own tests start it the same way)

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = int(os.environ.get("ESTIMATOR_SCHEMATHESIS_EXAMPLES", "5"))
TOKEN = "schemathesis-test-token-of-32-characters"
#: The uploads whose file content the document cannot state (module docstring).
UPLOADS = ("/api/v1/pricing-tables/{name}/versions", "/api/v1/estimates/batch")
#: Left out of the coverage phase (module docstring): its body is the serving estimate's, whose boundary
#: cases run on /api/v1/estimates/inference, plus three fields the fuzzing phase draws.
SLOW_COVERAGE = "/api/v1/sensitivity/inference"
CONFIG = f"""
[phases.coverage.generation]
mode = "positive"

[[operations]]
include-path = {json.dumps(list(UPLOADS))}
include-method = "POST"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "{SLOW_COVERAGE}"
phases.coverage.enabled = false
"""


def test_the_served_document_holds_under_every_schemathesis_check(tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
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
        # No --checks: the default is every check, and a --checks option would override the config's
        # per-operation exception (object_level_authorization, which needs two configured users, aside).
        command = [str(SCHEMATHESIS), "--no-color", "--config-file", str(config), "run", url,
                   "-H", f"Authorization: Bearer {TOKEN}", "--workers", "1", "--max-examples", str(MAX_EXAMPLES),
                   "--seed", "1", "--generation-deterministic"]
        # cwd: schemathesis keeps a cache folder (.schemathesis) where it runs.
        run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert re.search(rf"Tested:\s+{operations}\b", output), output  # every operation was generated for
    cases = re.search(r"Test cases:\s+(\d+) generated, (\d+) passed", output)
    assert cases is not None and cases.group(1) == cases.group(2), output  # none failed or errored
