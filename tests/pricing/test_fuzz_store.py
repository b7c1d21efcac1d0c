"""Fuzzing that reaches the store (issue 13): the schemathesis run never got an upload past rejection
(820 uploads, 0 x 201), so activation, rollback, diff and download of stored versions went untested.

Here hypothesis builds real workbooks (xlsx, or csv of one sheet) from the declaration in
``pricing/tables.py`` (every column's type, choices and plausible range), corrupts some of them (a
number outside its range, a required cell blanked, the file cut short), and a stateful run drives the
service through the Flask test client: upload -> activate -> diff -> roll back -> download, in any order.
Every answer must be one the operation documents, never a 5xx; an accepted upload must read back with
its rows, a valid workbook must be accepted.

Measured (``pytest -s`` prints the counts; 100 examples of up to 10 steps, ~16 s, on 2026-12-05):
upload 201: 149, 422: 106, 415: 8; activate 200: 20, 404: 82; rollback 200: 5, 404: 71, 422: 66;
diff 200: 21, 404: 92; download 200: 23, 404: 199; 0 x 5xx. Not yet the issue's "hundreds" past the
upload: most steps name a table or version that does not exist yet (a first step is rarely an upload);
rules that only run once a version exists (hypothesis preconditions) would raise those counts. The web
forms are not fuzzed here.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from estimator.app import create_app
from pricing.export import to_csv, to_xlsx
from pricing.tables import TABLES, Column

TOKEN = "fuzz-token-of-at-least-32-characters!"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STAGES: Counter[str] = Counter()
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=12).map(str.strip).filter(bool)


def cell(column: Column) -> st.SearchStrategy[Any]:
    """A valid value of ``column`` as ``parse_upload`` returns it."""
    if column.type in ("number", "integer"):
        assert column.minimum is not None and column.maximum is not None
        if column.type == "integer":
            return st.integers(int(column.minimum), min(int(column.maximum), 1_000))
        return st.floats(column.minimum, min(column.maximum, 1e6)).map(lambda x: round(x, 4)).filter(
            lambda x: column.minimum <= x <= column.maximum and x > (column.exclusive_minimum or -1))  # type: ignore[operator]
    if column.type == "date":
        return st.dates(dt.date(2020, 1, 1), dt.date(2025, 12, 31)).map(dt.date.isoformat)
    if column.type == "choice":
        return st.sampled_from(column.choices)
    if column.type == "gpu":
        return st.sampled_from(("h100-sxm", "a100-80gb-sxm", "b200"))
    if column.type == "id":
        return st.sampled_from(("deepseek-v3", "llama-3.1-70b"))
    return WORDS


@st.composite
def sheet_rows(draw: st.DrawFn, name: str) -> list[dict[str, Any]]:
    table = TABLES[name]
    rows = draw(st.lists(st.fixed_dictionaries({c.name: cell(c) for c in table.columns}), min_size=1, max_size=4,
                         unique_by=lambda r: tuple(r[k] for k in table.key)))
    return rows


@st.composite
def workbooks(draw: st.DrawFn) -> tuple[bytes, str, str | None, bool]:
    """(file bytes, file name, sheet for a csv, valid?): a workbook built from the declaration, and
    sometimes corrupted."""
    names = draw(st.lists(st.sampled_from(list(TABLES)), min_size=1, max_size=3, unique=True))
    sheets = {name: draw(sheet_rows(name)) for name in names}
    corruption = draw(st.sampled_from(("none", "none", "none", "range", "blank", "cut")))
    if corruption in ("range", "blank"):
        name = names[0]
        columns = [c for c in TABLES[name].columns if (c.type == "number" if corruption == "range" else c.required)]
        column = draw(st.sampled_from(columns))
        assert column.maximum is not None or corruption == "blank"
        sheets[name][0][column.name] = column.maximum * 10 if corruption == "range" else ""  # type: ignore[operator]
    if draw(st.booleans()):
        data, file_name, sheet = to_xlsx(sheets), "fuzz.xlsx", None
    else:
        data, file_name, sheet = to_csv(names[0], sheets[names[0]]), "fuzz.csv", names[0]
    if corruption == "cut":
        data = data[: int(len(data) * draw(st.floats(0, 0.99)))]  # a share: an xlsx's length varies (its timestamp)
    return data, file_name, sheet, corruption == "none"


class StoreMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.client = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "AUTH_FAILURES_LIMIT": ""}).test_client()
        self.versions = 0

    def record(self, stage: str, response: Any, documented: set[int]) -> int:
        STAGES[f"{stage} {response.status_code}"] += 1
        assert response.status_code in documented, (stage, response.status_code, response.get_data()[:500])
        return int(response.status_code)

    @rule(workbook=workbooks())
    def upload(self, workbook: tuple[bytes, str, str | None, bool]) -> None:
        data, file_name, sheet, valid = workbook
        form: dict[str, Any] = {"file": (io.BytesIO(data), file_name), **({"sheet": sheet} if sheet else {})}
        response = self.client.post("/api/v1/pricing-tables/fuzz/versions", data=form, headers=AUTH,
                                    content_type="multipart/form-data")
        status = self.record("upload", response, {201, 400, 413, 415, 422})
        # A valid workbook is accepted; a corrupted one may still be (a csv cut after a whole row is a shorter table).
        assert status == 201 or not valid, response.get_json()
        if status == 201:
            self.versions += 1
            number = response.get_json()["number"]
            assert number == self.versions
            stored = self.client.get(f"/api/v1/pricing-tables/fuzz/versions/{number}").get_json()
            assert stored["rows"] == sum(len(rows) for rows in stored["sheets"].values())

    def version(self, data: st.DataObject) -> int:
        """A version that exists when any does (sometimes the next one, which does not)."""
        return data.draw(st.integers(1, self.versions + 1))

    @rule(data=st.data())
    def activate(self, data: st.DataObject) -> None:
        number = self.version(data)
        response = self.client.post("/api/v1/pricing-tables/fuzz/active", json={"version": number}, headers=AUTH)
        self.record("activate", response, {200, 404})

    @rule()
    def rollback(self) -> None:
        self.record("rollback", self.client.post("/api/v1/pricing-tables/fuzz/rollback", headers=AUTH), {200, 404, 422})

    @rule(data=st.data(), page=st.integers(1, 3))
    def diff(self, data: st.DataObject, page: int) -> None:
        a, b = self.version(data), self.version(data)
        response = self.client.get(f"/api/v1/pricing-tables/fuzz/diff?from={a}&to={b}&page={page}&per_page=1")
        if self.record("diff", response, {200, 404}) == 200:
            body = response.get_json()
            assert all(len(s[k]) <= 1 for s in body["sheets"].values() for k in ("added", "removed", "changed"))

    @rule(fmt=st.sampled_from(("xlsx", "csv")), data=st.data())
    def download(self, fmt: str, data: st.DataObject) -> None:
        version = data.draw(st.none() | st.integers(1, self.versions + 1))
        query = f"format={fmt}" + ("&sheet=gpu_prices" if fmt == "csv" else "") + (f"&version={version}" if version else "")
        self.record("download", self.client.get(f"/api/v1/pricing-tables/fuzz/download?{query}"), {200, 404, 422})

    @invariant()
    def no_server_error(self) -> None:
        assert not any(key.split()[-1].startswith("5") for key in STAGES)


StoreMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=10, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_the_store_survives_a_stateful_run() -> None:
    STAGES.clear()
    StoreMachine.TestCase("runTest").runTest()
    print(dict(sorted(STAGES.items())))
    assert STAGES["upload 201"] > 0 and STAGES["activate 200"] > 0 and STAGES["diff 200"] > 0
    assert STAGES["download 200"] > 0 and STAGES["rollback 200"] > 0
