"""The command line's readable output (outside comparisons): figures through the one number
formatter, "–" for what a GPU does not have, no traceback when the reader stops reading, and the
validation report written next to the package's docs or where -o says."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from estimator import cli
from estimator.cli import run
from estimator.figures import Serving as S
from estimator.figures import Training as T
from estimator.numbers import number_text

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ["training", "--model", "llama-3.1-405b", "--tokens", "15.6e12", "--hardware", "h100-sxm", "--gpus", "16384"]


def call(argv, capsys):
    lines: list[str] = []
    code = run(argv, out=lines.append)
    return code, "\n".join(lines), capsys.readouterr().err


def row(out: str, heading: str) -> list[str]:
    """The cells after a row's heading (columns are at least two spaces apart)."""
    line = next(line for line in out.splitlines() if line.startswith(heading + " "))
    return [cell.strip() for cell in line[len(heading):].split("  ") if cell.strip()]


def test_money_reads_as_grouped_figures_in_the_table(capsys):
    _, text, _ = call([*TRAINING, "--json"], capsys)
    result = json.loads(text)
    code, out, _ = call(TRAINING, capsys)
    assert code == 0
    for figure in (T.RENT, T.OWN):  # e.g. "Renting the GPUs (USD)  67.7 million  221 million  903 million"
        assert figure.heading.endswith("(USD)")
        band = figure.band(result)
        assert row(out, figure.heading) == [number_text(band[s]) for s in ("low", "mid", "high")]
    assert not re.search(r"\de[+-]\d", out.split("warnings:")[0])  # no 1.5e+07 among the figures


def test_the_public_api_price_line_has_its_unit(capsys):
    argv = ["inference", "--model", "deepseek-v3", "--hardware", "h200-sxm", "--precision", "fp8"]
    _, text, _ = call([*argv, "--json"], capsys)
    api = S.API_PRICE.value(json.loads(text))
    code, out, _ = call(argv, capsys)
    assert code == 0
    assert (f"public api price: ${number_text(api['input'])} input / ${number_text(api['output'])} output per "
            f"million tokens ({api['provider']}, {api['as_of']})") in out.splitlines()


def test_the_hardware_catalog_shows_a_dash_for_a_precision_the_gpu_lacks(capsys, catalog):
    code, out, _ = call(["catalog", "hardware"], capsys)
    assert code == 0
    a100, h100 = catalog.hardware["a100-80gb-sxm"], catalog.hardware["h100-sxm"]
    assert (a100.fp8_dense_tflops, a100.fp4_dense_tflops) == (None, None)  # Ampere: no fp8 or fp4 tensor cores
    assert row(out, "a100-80gb-sxm")[:6] == ["312", "–", "–", "80", "2.039", "400"]
    assert row(out, "h100-sxm")[:3] == [f"{h100.bf16_dense_tflops:g}", f"{h100.fp8_dense_tflops:g}", "–"]


def test_a_reader_that_stops_reading_gets_no_traceback(monkeypatch, capsys):
    """estimator catalog hardware | head -0: the pipe is closed before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    stdout = os.fdopen(write_end, "w")
    monkeypatch.setattr("sys.stdout", stdout)
    monkeypatch.setattr("sys.argv", ["estimator", "catalog", "hardware"])
    try:
        with pytest.raises(SystemExit) as exited:
            cli.main()
    finally:
        monkeypatch.undo()
        stdout.close()
    assert exited.value.code == 141  # 128 + SIGPIPE, as a tool killed by the signal reports
    assert capsys.readouterr().err == ""


@pytest.fixture
def written(monkeypatch, tmp_path):
    """The path ``estimator validate`` writes to (the report itself is tested in test_validation_report)."""
    paths: list[str] = []
    monkeypatch.setattr("estimator.validation.write_report", lambda path, *_: paths.append(path) or Path(path))
    monkeypatch.chdir(tmp_path)  # anywhere but the checkout
    return paths


def test_validate_writes_next_to_the_packages_docs_from_any_folder(written, capsys):
    assert call(["validate"], capsys) == (0, f"wrote {ROOT / 'docs' / 'validation.md'}", "")
    assert call(["validate", "-o", "report.md"], capsys) == (0, "wrote report.md", "")
    assert written == [str(ROOT / "docs" / "validation.md"), "report.md"]


def test_validate_without_docs_next_to_the_package_asks_for_a_path(written, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "DOCS_DIR", tmp_path / "site-packages" / "docs")  # an installed package
    assert call(["validate"], capsys) == (2, "", (
        f"estimator: error: There is no docs folder next to the package ({tmp_path / 'site-packages' / 'docs'}): "
        "this is not a source checkout. Say where to write the report with -o, e.g. -o validation.md.\n"))
    assert written == []
