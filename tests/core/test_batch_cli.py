"""`estimator batch` (issue 15): the template round-trips, results equal the single estimates, clean errors."""

from __future__ import annotations

import csv
import io

import pandas as pd

from estimator import batch
from estimator.cli import run
from estimator.inference import estimate_inference
from estimator.inputs import inference_request, training_request
from estimator.training import estimate_training


def call(argv, capsys):
    lines: list[str] = []
    code = run(argv, out=lines.append)
    captured = capsys.readouterr()
    return code, "\n".join(lines), captured.err


def test_the_template_estimates_as_the_single_path_does(tmp_path, capsys, catalog, book) -> None:
    template, results = tmp_path / "scenarios.xlsx", tmp_path / "results.xlsx"
    assert call(["batch", "--template", str(template)], capsys) == (0, "", f"wrote {template}\n")
    readme = pd.read_excel(template, sheet_name="README", engine="calamine", dtype=str)
    documented = set(readme["column"])
    assert {"workload", "model", "tokens", "gpus", "requests_per_s", "tpot_ms", "pricing_table"} <= documented
    assert {"gpu_hours.mid (GPU·h)", "error"} <= documented
    code, out, err = call(["batch", str(template), "-o", str(results)], capsys)
    assert (code, out, err) == (0, "", f"2 rows estimated, 0 with an error; wrote {results}\n")
    table = pd.read_excel(results, engine="calamine")
    # The template's rows are the API's examples (app/schemas.py TRAINING_EXAMPLE, INFERENCE_EXAMPLE).
    from estimator.app.schemas import INFERENCE_EXAMPLE, TRAINING_EXAMPLE

    training = estimate_training(training_request(catalog, TRAINING_EXAMPLE), book, catalog).to_dict()
    serving = estimate_inference(inference_request(catalog, INFERENCE_EXAMPLE), book, catalog).to_dict()
    assert table.loc[0, "gpu_hours.mid (GPU·h)"] == training["gpu_hours"]["mid"]
    assert table.loc[0, "cost_usd.rent.high (USD)"] == training["cost_usd"]["rent"]["high"]
    assert table.loc[1, "replicas (replicas)"] == serving["replicas"]
    assert table.loc[1, "per_replica.tpot_ms (ms)"] == serving["per_replica"]["tpot_ms"]


def test_csv_to_stdout_with_an_error_per_bad_row(tmp_path, capsys, catalog, book) -> None:
    scenarios = tmp_path / "s.csv"
    scenarios.write_text("workload,model,tokens,hardware,gpus,note\n"
                         "training,llama-3.1-8b,1e12,h100-sxm,64,\n"
                         "\n"
                         "training,llama-3.1-8b,-1,h100-sxm,64,\n"
                         "training,llama-3.1-8b,1e12,h100-sxm,64,=cmd()\n")
    code, out, err = call(["batch", str(scenarios)], capsys)
    assert code == 0 and err == "3 rows estimated, 2 with an error\n"
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["error"] for r in rows] == ["", "tokens: Must be greater than 0.", "note: Unknown field."]
    assert rows[2]["note"] == "'=cmd()"  # a formula-looking cell is neutralised in CSV (pricing.export)
    expected = batch.result_cells("training", estimate_training(training_request(
        catalog, {"model": "llama-3.1-8b", "tokens": 1e12, "hardware": "h100-sxm", "gpus": 64}), book, catalog).to_dict())
    assert float(rows[0]["gpu_hours.mid (GPU·h)"]) == expected["gpu_hours.mid (GPU·h)"]
    assert rows[0]["warnings"] == expected["warnings"]


def test_bad_files_and_options_exit_2(tmp_path, capsys) -> None:
    missing = tmp_path / "missing.csv"
    assert call(["batch", str(missing)], capsys) == (
        2, "", f"estimator: error: Cannot read '{missing}': No such file or directory.\n")
    no_workload = tmp_path / "s.csv"
    no_workload.write_text("model,tokens\nllama-3.1-8b,1e12\n")
    assert call(["batch", str(no_workload), "-o", str(tmp_path / "r.txt")], capsys) == (
        2, "", f"estimator: error: -o must end in .csv or .xlsx: '{tmp_path / 'r.txt'}'.\n")
    assert call(["batch", str(no_workload)], capsys) == (
        2, "", "estimator: error: The first sheet needs a 'workload' column (training or inference) and the request's "
               "fields as its header; `estimator batch --template` writes one.\n")
    assert call(["batch"], capsys) == (
        2, "", "estimator: error: Give the scenarios file (xlsx, ods or csv), or --template OUT.xlsx.\n")
    too_many = tmp_path / "many.csv"
    too_many.write_text("workload,model\n" + "training,llama-3.1-8b\n" * 3)
    code, _, err = call(["batch", str(too_many), "--max-rows", "2"], capsys)
    assert code == 2 and err.startswith("estimator: error: 'many.csv' has more than 2 data rows")
