"""Fuzzing that reaches the store (issue 13): the schemathesis run never got an upload past rejection
(820 uploads, 0 x 201), so activation, rollback, diff and download of stored versions went untested.

Here hypothesis builds real workbooks (xlsx, or csv of one sheet) from the declaration in
``pricing/tables.py`` (every column's type, choices and plausible range; ``tests/workbooks.py``, which the
schemathesis hooks use too), corrupts some of them (a number outside its range, a required cell blanked,
the file cut short), and a stateful run drives the
service through the Flask test client: upload -> activate -> diff -> roll back -> download, in any order.
Every answer must be one the operation documents, never a 5xx; an accepted upload must read back with
its rows, a valid workbook must be accepted.

The machine keeps a model of the store (the versions and their rows, the activation stack), so a 2xx
is also checked against it: an upload's number and rows read back, an activation's version, a roll-back
answering the version active before, 409 exactly when nothing is left to roll back to, a csv download
with one line per row. Each run starts with two valid uploads; each operation has a rule on versions
that exist (hypothesis preconditions) and one that may name the next, missing version.

CI runs ``CI_EXAMPLES`` runs of up to ``CI_STEPS`` steps (~15 s; ``pytest -s`` prints the counts, e.g.
upload 201: 191, activate 200: 152, rollback 200: 166, diff 200: 156, download 200: 142, 0 x 5xx).
``bench/bench_fuzz.py store`` runs 600 of 30 and writes the counts to docs/benchmarks.md (2026-12-05,
downloads stored at import: upload 201 x 2,000, activate 200 x 2,100, rollback 200 x 1,553, diff 200 x
1,776, download 200 x 2,416, 0 x 5xx in 12,755 requests).
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from workbooks import workbooks

from estimator.app import create_app

TOKEN = "fuzz-token-of-at-least-32-characters!"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STAGES: Counter[str] = Counter()
class StoreMachine(RuleBasedStateMachine):
    """The store behind the API, with a model of what it must hold: how many versions, the rows of each,
    and the stack of activations (an activation pushes, a roll-back pops; ``pricing.store``'s log is
    that stack). Each run starts with two valid uploads, so most steps act on versions that exist;
    each operation also has a rule that may name a version that does not."""

    @initialize(first=workbooks(valid=True), second=workbooks(valid=True))
    def start(self, first: tuple[bytes, str, str | None, bool], second: tuple[bytes, str, str | None, bool]) -> None:
        self.client = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "AUTH_FAILURES_LIMIT": ""}).test_client()
        self.versions = 0
        self.row_counts: dict[int, dict[str, int]] = {}
        self.active: list[int] = []  # the activation stack, current last
        self.upload(first, "")
        self.upload(second, "")

    def record(self, stage: str, response: Any, documented: set[int]) -> int:
        STAGES[f"{stage} {response.status_code}"] += 1
        assert response.status_code in documented, (stage, response.status_code, response.get_data()[:500])
        return int(response.status_code)

    def activated(self, number: int) -> None:
        if not self.active or self.active[-1] != number:
            self.active.append(number)

    @rule(workbook=workbooks(), activate=st.sampled_from(("", "", "true", "false")))
    def upload(self, workbook: tuple[bytes, str, str | None, bool], activate: str) -> None:
        data, file_name, sheet, valid = workbook
        form: dict[str, Any] = {"file": (io.BytesIO(data), file_name), **({"sheet": sheet} if sheet else {}),
                                **({"activate": activate} if activate else {})}
        response = self.client.post("/api/v1/pricing-tables/fuzz/versions", data=form, headers=AUTH,
                                    content_type="multipart/form-data")
        status = self.record("upload", response, {201, 400, 413, 415, 422})
        # A valid workbook is accepted; a corrupted one may still be (a csv cut after a whole row is a shorter table).
        assert status == 201 or not valid, response.get_json()
        if status == 201:
            self.versions += 1
            body = response.get_json()
            assert body["number"] == self.versions and body["active"] == (activate != "false")
            self.row_counts[self.versions] = body["row_counts"]
            if activate != "false":
                self.activated(self.versions)
            stored = self.client.get(f"/api/v1/pricing-tables/fuzz/versions/{self.versions}").get_json()
            assert stored["row_counts"] == body["row_counts"]
            assert {k: len(v) for k, v in stored["sheets"].items()} == body["row_counts"]

    def existing(self, data: st.DataObject) -> int:
        return data.draw(st.integers(1, self.versions), label="version")

    def any_version(self, data: st.DataObject) -> int:
        """A version that exists, or the next one, which does not."""
        return data.draw(st.integers(1, self.versions + 1), label="version")

    def activate(self, number: int) -> None:
        response = self.client.post("/api/v1/pricing-tables/fuzz/active", json={"version": number}, headers=AUTH)
        status = self.record("activate", response, {200, 404})
        assert (status == 200) == (number <= self.versions), (number, self.versions, status)
        if status == 200:
            assert response.get_json()["number"] == number and response.get_json()["active"]
            self.activated(number)

    @precondition(lambda self: self.versions > 0)
    @rule(data=st.data())
    def activate_existing(self, data: st.DataObject) -> None:
        """A version other than the active one when there is one (activating the active one changes nothing)."""
        others = [n for n in range(1, self.versions + 1) if not self.active or n != self.active[-1]]
        self.activate(data.draw(st.sampled_from(others or [1]), label="version"))

    @rule(data=st.data())
    def activate_any(self, data: st.DataObject) -> None:
        self.activate(self.any_version(data))

    @precondition(lambda self: len(self.active) <= 1)
    @rule()
    def rollback_refused(self) -> None:
        self.rollback()

    def rollback(self) -> None:
        response = self.client.post("/api/v1/pricing-tables/fuzz/rollback", headers=AUTH)
        status = self.record("rollback", response, {200, 404, 409})
        assert (status == 200) == (len(self.active) > 1), (status, self.active)
        if status == 200:
            self.active.pop()
            assert response.get_json()["number"] == self.active[-1]

    @precondition(lambda self: len(self.active) > 1)
    @rule()
    def rollback_allowed(self) -> None:
        self.rollback()

    def diff(self, a: int, b: int, page: int) -> None:
        response = self.client.get(f"/api/v1/pricing-tables/fuzz/diff?from={a}&to={b}&page={page}&per_page=1")
        status = self.record("diff", response, {200, 404})
        assert (status == 200) == (max(a, b) <= self.versions)
        if status == 200:
            body = response.get_json()
            assert all(len(s[k]) <= 1 for s in body["sheets"].values() for k in ("added", "removed", "changed"))
            if a == b:
                assert body["identical"]

    @precondition(lambda self: self.versions > 0)
    @rule(data=st.data(), page=st.integers(1, 3))
    def diff_existing(self, data: st.DataObject, page: int) -> None:
        self.diff(self.existing(data), self.existing(data), page)

    @rule(data=st.data(), page=st.integers(1, 3))
    def diff_any(self, data: st.DataObject, page: int) -> None:
        self.diff(self.any_version(data), self.any_version(data), page)

    def download(self, fmt: str, version: int | None) -> None:
        query = f"format={fmt}" + ("&sheet=gpu_prices" if fmt == "csv" else "") + (f"&version={version}" if version else "")
        response = self.client.get(f"/api/v1/pricing-tables/fuzz/download?{query}")
        status = self.record("download", response, {200, 404, 422})
        number = version or (self.active[-1] if self.active else None)
        assert (status == 200) == (number is not None and number <= self.versions), (status, number, self.versions)
        if status == 200 and fmt == "csv":  # a header line and one line per row (no cell holds a line break)
            assert number is not None
            assert response.get_data().count(b"\r\n") == 1 + self.row_counts[number].get("gpu_prices", 0)
        elif status == 200:
            assert response.get_data()[:2] == b"PK"

    @precondition(lambda self: self.versions > 0)
    @rule(fmt=st.sampled_from(("xlsx", "csv")), data=st.data())
    def download_existing(self, fmt: str, data: st.DataObject) -> None:
        self.download(fmt, data.draw(st.none() | st.integers(1, self.versions), label="version"))

    @rule(fmt=st.sampled_from(("xlsx", "csv")), data=st.data())
    def download_any(self, fmt: str, data: st.DataObject) -> None:
        self.download(fmt, data.draw(st.none() | st.integers(1, self.versions + 1), label="version"))

    @invariant()
    def no_server_error(self) -> None:
        assert not any(key.split()[-1].startswith("5") for key in STAGES)


#: The CI run; ``bench/bench_fuzz_store.py`` runs the same machine with more examples and longer runs.
CI_EXAMPLES, CI_STEPS = 60, 20


def run(max_examples: int, steps: int) -> Counter[str]:
    """Run the machine for ``max_examples`` runs of up to ``steps`` steps: the requests per stage and status."""
    STAGES.clear()
    StoreMachine.TestCase.settings = settings(max_examples=max_examples, stateful_step_count=steps, deadline=None,
                                              database=None, derandomize=False,
                                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    StoreMachine.TestCase("runTest").runTest()
    return Counter(STAGES)


def test_the_store_survives_a_stateful_run() -> None:
    stages = run(CI_EXAMPLES, CI_STEPS)
    print(dict(sorted(stages.items())))
    assert not [key for key in stages if key.split()[-1].startswith("5")]
    for stage in ("upload 201", "activate 200", "rollback 200", "diff 200", "download 200"):
        assert stages[stage] > 0, (stage, dict(stages))
