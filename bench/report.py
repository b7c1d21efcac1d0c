"""Write one section of docs/benchmarks.md, leaving the others as they are.

Each benchmark script owns one section, between ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->``; running a script rewrites its own section only (a missing section is
appended), so the core and HTTP numbers can be re-measured independently.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
TITLE = "# Benchmarks\n"


def machine() -> str:
    """When and where: 'on 2026-11-28, Python 3.11.7 on x86_64, 2 CPUs'."""
    return f"on {time.strftime('%Y-%m-%d')}, Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs"


def write_section(name: str, text: str, doc: Path = DOC) -> None:
    """Replace (or append) the section ``name`` of ``doc`` with ``text``."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{begin}\n{text.strip()}\n{end}"
    current = doc.read_text(encoding="utf-8") if doc.exists() else TITLE
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        new = head + block + rest.split(end, 1)[1]
    else:
        new = current.rstrip("\n") + "\n\n" + block + "\n"
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(new, encoding="utf-8")
