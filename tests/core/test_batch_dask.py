"""Batch estimates on a local Dask cluster (issue 15): the same rows, the same table as in one process."""

from __future__ import annotations

import pandas as pd

from estimator.app import batch_table
from estimator.app.batch_rows import check_text_row, check_text_rows, check_text_sweep

CONTEXT = batch_table.Context(check=check_text_row, check_rows=check_text_rows, check_sweep=check_text_sweep)

CSV = b"""workload,model,tokens,hardware,gpus,requests_per_s,tpot_ms
training,llama-3.1-70b,15.6e12,h100-sxm,1024,,
training,llama-3.1-70b,abc,h100-sxm,1024,,
inference,llama-3.1-70b,,h100-sxm,,20,50
serving,deepseek-v3,,h200-sxm,,5,
training,llama-3.1-8b,1e12,l4,2.5,,
training,llama-3.1-70b,15.6e12,h100-sxm,1024,,
"""


def test_a_dask_cluster_gives_the_same_table_as_one_process(monkeypatch) -> None:
    rows = batch_table.read_scenarios(CSV, "scenarios.csv")
    local = batch_table.run_batch(rows, context=CONTEXT)
    monkeypatch.setattr(batch_table, "PARTITION_ROWS", 2)  # three partitions over the two workers
    on_dask = batch_table.run_batch(rows, engine="dask", context=CONTEXT)
    pd.testing.assert_frame_equal(on_dask.reset_index(drop=True), local)
    assert list(local["error"]) == ["", "tokens: Not a valid number.", "", "", "gpus: Not a valid integer.", ""]
    assert local.loc[0, "gpu_count (GPUs)"] == 1024
