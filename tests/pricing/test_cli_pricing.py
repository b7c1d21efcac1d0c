"""``estimator pricing …`` against a real SQLite store, and --pricing-table on the estimates."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

from estimator.cli import run
from pricing.tables import TABLES

HEADER = "provider,region,gpu,pricing_model,usd_per_gpu_hour,product,effective_date,source,notes\n"


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'pricing.sqlite3'}"


def call(argv, capsys):
    lines: list[str] = []
    code = run(argv, out=lines.append)
    return code, "\n".join(lines), capsys.readouterr().err


def test_import_then_estimate_with_the_table(tmp_path, db, capsys):
    path = tmp_path / "acme.csv"
    path.write_text(HEADER + "Acme,,h100-sxm,spot,0.5,,2025-06-01,quote,\n", encoding="utf-8")
    code, out, _ = call(["pricing", "import", str(path), "--name", "acme", "--sheet", "gpu_prices",
                         "--database-url", db, "--by", "tester"], capsys)
    assert (code, out) == (0, "imported acme.csv as acme@1 (1 rows, active)")

    code, out, _ = call(["training", "--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--tokens", "1e12",
                         "--gpus", "64", "--pricing-table", "acme", "--database-url", db, "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert (result["pricing"]["table"], result["pricing"]["version"]) == ("acme", 1)
    assert result["cost_usd"]["rent"]["mid"] == pytest.approx(result["gpu_hours"]["mid"] * 0.5, rel=1e-5)

    code, out, _ = call(["pricing", "versions", "acme", "--database-url", db, "--json"], capsys)
    versions = json.loads(out)
    assert [(v["ref"], v["created_by"], v["file_name"], v["active"]) for v in versions] == [
        ("acme@1", "tester", "acme.csv", True)]


def test_rejected_import_prints_every_problem_and_exits_2(tmp_path, db, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "Acme,,h100-sxm,weekly,0,,2025-06-01,quote,\n", encoding="utf-8")
    code, out, err = call(["pricing", "import", str(path), "--name", "acme", "--sheet", "gpu_prices",
                           "--database-url", db], capsys)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "'bad.csv' was not imported: 2 problems found. Fix them and upload again; nothing was changed."
    assert lines[1].startswith("  - sheet 'gpu_prices', row 2, column pricing_model (D): ")
    assert lines[1].endswith("(bad_choice) [value: 'weekly']")
    assert lines[2].startswith("  - sheet 'gpu_prices', row 2, column usd_per_gpu_hour (E): ")
    code, out, _ = call(["pricing", "list", "--database-url", db, "--json"], capsys)
    assert json.loads(out) == []  # nothing was created


def test_export_and_template(tmp_path, db, capsys):
    out_path = tmp_path / "seed.xlsx"
    code, out, _ = call(["pricing", "export", "seed", "--output", str(out_path), "--database-url", db], capsys)
    assert (code, out) == (0, f"wrote seed to {out_path}")
    workbook = openpyxl.load_workbook(io.BytesIO(out_path.read_bytes()), read_only=True)
    assert workbook.sheetnames == ["gpu_prices", "hardware_costs", "energy", "colocation", "api_prices"]
    # The export imports back unchanged.
    code, out, _ = call(["pricing", "import", str(out_path), "--name", "copy", "--database-url", db], capsys)
    assert (code, out) == (0, "imported seed.xlsx as copy@1 (114 rows, active)")
    _, seed, _ = call(["pricing", "show", "seed", "--json", "--database-url", db], capsys)
    _, copy, _ = call(["pricing", "show", "copy@1", "--json", "--database-url", db], capsys)
    assert json.loads(copy)["sheets"] == json.loads(seed)["sheets"]

    template = tmp_path / "template.xlsx"
    assert call(["pricing", "template", "--output", str(template)], capsys)[0] == 0
    book = openpyxl.load_workbook(template, read_only=True)
    assert book.sheetnames == ["gpu_prices", "hardware_costs", "energy", "colocation", "api_prices", "README"]
    documented = {(row[0], row[1]) for row in book["README"].iter_rows(min_row=2, values_only=True) if row[1]}
    assert documented >= {(t.name, c.name) for t in TABLES.values() for c in t.columns}


def test_unknown_table_is_a_clean_error(db, capsys):
    code, _, err = call(["training", "--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--pricing-table", "acme",
                         "--database-url", db], capsys)
    assert code == 2
    assert err == "estimator: error: Unknown pricing table 'acme'. Known tables: seed.\n"


def test_activate_and_rollback(tmp_path, db, capsys):
    path = tmp_path / "acme.csv"
    for price in ("1", "2"):
        path.write_text(HEADER + f"Acme,,h100-sxm,spot,{price},,2025-06-01,quote,\n", encoding="utf-8")
        assert call(["pricing", "import", str(path), "--name", "acme", "--sheet", "gpu_prices",
                     "--database-url", db], capsys)[0] == 0
    assert call(["pricing", "activate", "acme", "1", "--database-url", db], capsys)[1] == "acme@1 is active"
    assert call(["pricing", "rollback", "acme", "--database-url", db], capsys)[1] == "acme@2 is active again"
    code, out, _ = call(["pricing", "diff", "acme", "1", "2", "--database-url", db], capsys)
    assert json.loads(out)["summary"] == {"added": 0, "removed": 0, "changed": 1}


def test_file_errors_are_clean(tmp_path, db, capsys):
    missing = tmp_path / "nope.csv"
    code, _, err = call(["pricing", "import", str(missing), "--name", "x", "--sheet", "gpu_prices",
                         "--database-url", db], capsys)
    assert (code, err) == (2, f"estimator: error: No such file or directory: {missing}\n")
    code, _, err = call(["pricing", "export", "seed", "--output", str(tmp_path / "no" / "x.xlsx"),
                         "--database-url", db], capsys)
    assert code == 2
    assert err.startswith("estimator: error: No such file or directory")


def test_seed_has_no_versions(db, capsys):
    code, _, err = call(["pricing", "versions", "seed", "--database-url", db], capsys)
    assert (code, err) == (2, "estimator: error: The seed table is built in and has no versions "
                              "(see `estimator pricing show seed`).\n")
    code, _, err = call(["pricing", "show", "seed@1", "--database-url", db], capsys)
    assert (code, err) == (2, "estimator: error: The seed table is built in and has no versions: use 'seed'.\n")


def test_xlsx_export_imports_back_with_every_digit(tmp_path, db, capsys):
    # XlsxWriter writes 16 significant digits (Excel shows 15): prices with up to 16 come back exactly.
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "Acme,,h100-sxm,spot,1.234567890123456,,2025-06-01,quote,\n"
                    "Acme,,h200-sxm,spot,0.1234567890123456,,2025-06-01,quote,\n", encoding="utf-8")
    assert call(["pricing", "import", str(path), "--name", "rt", "--sheet", "gpu_prices", "--database-url", db],
                capsys)[0] == 0
    out_path = tmp_path / "rt.xlsx"
    assert call(["pricing", "export", "rt@1", "--output", str(out_path), "--database-url", db], capsys)[0] == 0
    assert call(["pricing", "import", str(out_path), "--name", "rt", "--database-url", db], capsys)[0] == 0
    code, out, _ = call(["pricing", "diff", "rt", "1", "2", "--database-url", db], capsys)
    assert json.loads(out)["identical"] is True
    _, first, _ = call(["pricing", "show", "rt@1", "--json", "--database-url", db], capsys)
    _, second, _ = call(["pricing", "show", "rt@2", "--json", "--database-url", db], capsys)
    assert json.loads(first)["sheets"] == json.loads(second)["sheets"]


def test_index_stores_the_digests_of_versions_imported_without_them(tmp_path, db, capsys):
    """A version imported before revision 0003 has no row digests, and an anonymous diff of it past a row budget
    is refused naming this command (issue 13)."""
    from pricing.store import PricingStore, pricing_digests

    path = tmp_path / "acme.csv"
    for price in ("0.5", "0.6"):
        path.write_text(HEADER + f"Acme,,h100-sxm,spot,{price},,2025-06-01,quote,\n", encoding="utf-8")
        assert call(["pricing", "import", str(path), "--name", "acme", "--sheet", "gpu_prices",
                     "--database-url", db], capsys)[0] == 0
    with PricingStore(db) as store, store.engine.begin() as conn:
        conn.execute(pricing_digests.delete())
    assert call(["pricing", "index", "acme", "--database-url", db], capsys) == (0, "indexed acme@1, acme@2", "")
    assert call(["pricing", "index", "acme", "--database-url", db], capsys) == (
        0, "every version of acme is indexed already", "")
    with PricingStore(db) as store:
        assert store.diff_index("acme", 1, 2, digest_rows=0).sheets[0].counts == {"added": 0, "removed": 0,
                                                                                "changed": 1}
