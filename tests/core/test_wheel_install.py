"""The wheel carries the catalog: built from the source, installed in a new virtual environment
outside the source tree, it answers an estimate equal to the checkout's, serves the pages and
migrates a new pricing store.

This is what a user who runs ``pip install compute-cost-estimator-….whl`` gets: the seed CSVs come
from ``estimator/seeds`` inside site-packages (pyproject.toml maps ``seeds/`` there), found through
importlib.resources, not from a repository next to the package. The install uses the package index
pip is configured with and the constraints file scripts/test.sh uses (bytecode compilation off, to
keep it to about 20 s of CPU).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import venv
from contextlib import closing
from pathlib import Path

from estimator.cli import run
from pricing import migrations

ROOT = Path(__file__).resolve().parents[2]
#: What the wheel is built from: the files pyproject.toml packages, not local state or caches.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "instance", "*.egg-info", "__pycache__",
                                    ".*_cache", ".hypothesis", ".benchmarks", "tests", "bench", "docs", "test-output")
ARGS = ["training", "--model", "llama-3.1-70b", "--tokens", "15e12", "--hardware", "h100-sxm", "--gpus", "1024",
        "--json"]


def _pip(*args: str) -> None:
    """This venv's pip (``--python`` points it at another environment)."""
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args],
                   check=True, capture_output=True, text=True, timeout=300)


def test_a_wheel_installed_outside_the_source_tree_answers_an_estimate(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)  # a clean build folder: no stale build/lib files
    _pip("wheel", "--no-deps", "--wheel-dir", str(tmp_path / "dist"), str(source))
    (wheel,) = (tmp_path / "dist").glob("compute_cost_estimator-*.whl")
    venv.create(tmp_path / "venv", with_pip=False)  # this pip installs into it (--python): no ensurepip
    python = tmp_path / "venv" / "bin" / "python"
    _pip("--python", str(python), "install", "--no-compile",
         "--constraint", str(ROOT / "constraints.txt"), str(wheel))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    answer = subprocess.run([str(tmp_path / "venv" / "bin" / "estimator"), *ARGS], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=60)
    assert (answer.returncode, answer.stderr) == (0, "")
    lines: list[str] = []
    assert run(ARGS, out=lines.append) == 0  # the same request from this checkout
    assert json.loads(answer.stdout) == json.loads(lines[0])

    # The seeds came from site-packages; the pages' templates and static files ship too.
    pages = ("from estimator.catalog import SEEDS_DIR; print(SEEDS_DIR); "
             "from estimator.app import create_app; c = create_app({'TESTING': True}).test_client(); "
             "print([c.get(p).status_code for p in ('/', '/training', '/static/site.css', "
             "'/static/swagger-ui/swagger-ui-bundle.js')])")
    served = subprocess.run([str(python), "-c", pages], cwd=elsewhere, env=env, capture_output=True, text=True,
                            timeout=60)
    seeds, statuses = served.stdout.splitlines()
    assert Path(seeds).is_relative_to(tmp_path / "venv") and Path(seeds, "hardware.csv").is_file()
    assert (statuses, served.stderr) == ("[200, 200, 200, 200]", "")

    # The store's migrations ship too: opening a new store upgrades it to the newest revision.
    database = elsewhere / "pricing.sqlite3"
    listed = subprocess.run([str(tmp_path / "venv" / "bin" / "estimator"), "pricing", "list", "--database-url",
                             f"sqlite:///{database}"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert (listed.returncode, listed.stderr) == (0, "")
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(migrations.head(),)]
