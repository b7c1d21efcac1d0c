"""A refactor changes no figure: 2,400 random requests (training and serving, valid and invalid)
give the same result, byte for byte as canonical JSON, as when the fixture was recorded.

The fixture is re-recorded (``python scripts/refactor_golden.py --write``) only in a commit that
changes the model on purpose and says so; a refactor must leave it alone.
"""

import gzip
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("refactor_golden", ROOT / "scripts" / "refactor_golden.py")
golden = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(golden)  # type: ignore[union-attr]


def test_every_recorded_request_gives_the_recorded_result():
    recorded = json.loads(gzip.decompress(golden.FIXTURE.read_bytes()))
    now = golden.compute()
    assert [r["request"] for r in now] == [r["request"] for r in recorded]  # the same requests
    changed = [(new["kind"], new["request"]) for old, new in zip(recorded, now, strict=True) if old != new]
    assert changed == []


def test_the_fixture_covers_results_and_errors_of_both_workloads():
    catalog, book = golden.load_catalog(), golden.golden_book()
    outcomes = {(k, "error" in golden.run_one(k, r, catalog, book)) for k, r in golden.cases()[::20]}
    assert outcomes == {("training", False), ("training", True), ("inference", False), ("inference", True)}
