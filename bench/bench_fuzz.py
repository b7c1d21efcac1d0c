"""The fuzz report of issue 13: how many requests reached each stage of the store, and each web form,
with which status, over a run much larger than CI's.

1. The store: ``tests/pricing/test_fuzz_store.py``'s state machine (hypothesis builds real xlsx / csv
   workbooks from ``pricing/tables.py``, corrupts some; upload -> activate -> diff (paged) -> roll back
   -> download through the Flask test client, checked against a model of the versions and of the
   activation stack), ``STORE_EXAMPLES`` runs of up to ``STORE_STEPS`` steps (CI: 60 of 20).
2. The web forms: ``tests/web/test_fuzz_forms.py``, every form of the pages (the estimate, compare,
   planning and sensitivity forms, submitted as their GET; the pricing upload, activate and roll-back
   forms, POSTed with the session's CSRF token and mostly the admin token), each field kept, dropped
   or replaced by an adversarial value, extra fields added; ``FORM_EXAMPLES`` submissions per form.

Run: .venv/bin/python bench/bench_fuzz.py [store|forms]  -> rewrites the fuzz section of docs/benchmarks.md
(both parts; with an argument, only that part runs and the other keeps the numbers in the file's comment
markers). Everything runs in process: no server, no network.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import DOC, machine, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STORE_EXAMPLES, STORE_STEPS = 600, 30
FORM_EXAMPLES = 300
STAGES = ("upload", "activate", "rollback", "diff", "download")


def _module(path: str) -> ModuleType:
    if str(ROOT / "tests") not in sys.path:  # the fuzz tests import tests/workbooks.py, as under pytest
        sys.path.append(str(ROOT / "tests"))
    spec = importlib.util.spec_from_file_location(Path(path).stem, ROOT / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table(counts: Counter[str], rows: tuple[str, ...], what: str) -> str:
    statuses = sorted({key.rsplit(" ", 1)[1] for key in counts})
    lines = [f"| {what} | " + " | ".join(statuses) + " | all |", "|---" * (len(statuses) + 2) + "|"]
    for row in rows:
        cells = [counts.get(f"{row} {s}", 0) for s in statuses]
        lines.append(f"| {row} | " + " | ".join(f"{c:,}" if c else "" for c in cells) + f" | {sum(cells):,} |")
    total = [sum(counts.get(f"{row} {s}", 0) for row in rows) for s in statuses]
    lines.append("| all | " + " | ".join(f"{c:,}" for c in total) + f" | {sum(total):,} |")
    return "\n".join(lines)


def store() -> str:
    fuzz = _module("tests/pricing/test_fuzz_store.py")
    wall, cpu = time.perf_counter(), time.process_time()
    counts = fuzz.run(STORE_EXAMPLES, STORE_STEPS)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    errors = sum(n for key, n in counts.items() if key.rsplit(" ", 1)[1].startswith("5"))
    return (f"### The store: upload, activate, diff, roll back, download\n\n"
            f"`tests/pricing/test_fuzz_store.py`'s state machine, {STORE_EXAMPLES} runs of up to {STORE_STEPS} steps "
            f"(CI runs {fuzz.CI_EXAMPLES} of {fuzz.CI_STEPS}), {wall:.0f} s wall, {cpu:.0f} s CPU. Requests by stage "
            "and status (2xx: the operation succeeded and its answer matched the model of the store):\n\n"
            + _table(counts, STAGES, "stage")
            + f"\n\n{errors} x 5xx. 404 names a version that does not exist yet (each operation has a rule that "
            "may), 409 on a roll-back means nothing to roll back to (and the model agreed), 422 / 415 / 400 on an "
            "upload a corrupted workbook (a number past its range, a required cell blanked, the file cut short). "
            "Each run starts with two valid uploads, and rules that need a version or an earlier activation wait "
            "for one (hypothesis preconditions), so most steps reach a stored version.\n")


def forms() -> str:
    fuzz = _module("tests/web/test_fuzz_forms.py")
    wall, cpu = time.perf_counter(), time.process_time()
    counts = fuzz.run(FORM_EXAMPLES)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = tuple(sorted({key.rsplit(" ", 1)[0] for key in counts}))
    errors = sum(n for key, n in counts.items() if key.rsplit(" ", 1)[1].startswith("5"))
    return (f"### The web forms\n\n"
            f"`tests/web/test_fuzz_forms.py`, {FORM_EXAMPLES} submissions per form (CI runs {fuzz.CI_EXAMPLES}), "
            f"{wall:.0f} s wall, {cpu:.0f} s CPU. Each form is read from its page (fields, options, hidden CSRF "
            "token); each field is kept, dropped, set to one of its options or replaced by an adversarial value "
            "(long and unicode text, controls, NUL, bidi overrides, huge and non-finite numbers, negative and "
            "fractional counts), extra fields are added; the pricing forms get a valid admin token most of the "
            "time and a file (a valid or broken csv, random bytes, a hostile file name). Every answer must be "
            "HTML (or a redirect), never a 5xx, never a traceback. Submissions by form and status:\n\n"
            + _table(counts, rows, "form")
            + f"\n\n{errors} x 5xx.\n")


def main(parts: list[str]) -> None:
    load = os.getloadavg()[0]
    begin, end = "<!-- fuzz:store -->", "<!-- /fuzz:store -->"
    fbegin, fend = "<!-- fuzz:forms -->", "<!-- /fuzz:forms -->"
    current = DOC.read_text(encoding="utf-8")

    def kept(b: str, e: str) -> str:
        return current.split(b, 1)[1].split(e, 1)[0].strip() if b in current and e in current else ""

    store_text = store() if "store" in parts else kept(begin, end)
    print(store_text)
    forms_text = forms() if "forms" in parts else kept(fbegin, fend)
    print(forms_text)
    write_section("fuzz", "## Fuzzing that reaches the store, and the web forms (issue 13)\n\n"
                  f"Measured by `bench/bench_fuzz.py` {machine()} (load average {load:.1f} at the start), "
                  "through Flask's test client with an in-memory SQLite store.\n\n"
                  f"{begin}\n{store_text}\n{end}\n\n{fbegin}\n{forms_text}\n{fend}\n")


if __name__ == "__main__":
    main(sys.argv[1:] or ["store", "forms"])
