"""Every float in a real response body is rounded as the contract declares (issue 14: ``tpot_ms``
49.95869999999999, unrounded ratios and ``tokens_per_gpu_hour``).

The walk finds each float's declaration: an estimate's figure (``figures.find``, a band's member
by its band), a comparison metric (``figures.metric``), a hardware comparison's headline
(``compare_hardware.headline``), a ratio (``6``); assumption and price records
keep six (``bands.Assumption.to_dict``, ``cost.PricePoint.to_dict``). A float at a path with no
declaration fails the test, so a new unrounded figure cannot slip past it; a figure declared exact
(``digits=None``: as given) is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from estimator import figures
from estimator.bands import significant
from estimator.compare_hardware import headline

RECORD_DIGITS = 6  # assumptions and price points (bands.Assumption.to_dict, cost.PricePoint.to_dict)


def floats(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], float]]:
    """Every float in a JSON body with its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from floats(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from floats(value, (*path, i))
    elif isinstance(node, float):
        yield path, node


def estimate_digits(workload: str, path: tuple[Any, ...]) -> int | None:
    """The declared digits of a float inside an estimate (``path`` relative to the estimate)."""
    record = figures.find(workload, str(path[0]))
    if record is not None and record.kind == figures.RECORD:
        return RECORD_DIGITS
    figure = figures.find(workload, ".".join(path))
    if figure is None and path[-1] in figures.SCENARIOS:
        figure = figures.find(workload, ".".join(path[:-1]))
        assert figure is not None and figure.kind == figures.BAND, path
    assert figure is not None, f"undeclared float at {path}"
    return figure.digits


def comparison_digits(workload: str, path: tuple[Any, ...]) -> int | None:
    if path[0] == "rows":
        return estimate_digits(workload, path[2:])
    if path[0] == "ratios":
        return figures.RATIO_DIGITS
    assert path[0] == "metrics", path
    metric = figures.metric(path[2])
    assert metric is not None, path
    return metric.figure.digits if metric.figure is not None and metric.figure.digits else metric.digits


def hardware_digits(workload: str, path: tuple[Any, ...]) -> int | None:
    assert path[0] == "rows", path
    part = path[2]
    if part == "estimate":
        return estimate_digits(workload, path[3:])
    if part == "ratios":
        return figures.RATIO_DIGITS
    if part == "latency":
        return estimate_digits(workload, ("per_replica", path[3]))
    assert part == "figures", path
    declared = headline(workload, path[3])
    assert declared is not None, path
    return declared.figure.digits


def unrounded(body: dict[str, Any], digits_of: Any, workload: str) -> tuple[int, list[tuple[Any, ...]]]:
    """How many floats were checked, and the paths of those not equal to their rounding."""
    checked, bad = 0, []
    for path, value in floats(body):
        digits = digits_of(workload, path)
        if digits is None:
            continue
        checked += 1
        if significant(value, digits) != value:
            bad.append((path, value, digits))
    return checked, bad


TRAINING = [
    {"model": "llama-3.1-405b", "hardware": "h100-sxm", "gpus": 16384},
    {"model": "deepseek-v3", "hardware": "h800", "precision": "fp8", "deadline_days": 61.7},
    {"model": "mixtral-8x7b", "hardware": "a100-80gb-sxm", "tokens": 1.234567891e12, "utilisation": 0.377},
]
SERVING = [
    {"model": "deepseek-v3", "hardware": "h200", "precision": "fp8", "requests_per_s": 20, "ttft_ms": 2000,
     "tpot_ms": 50},
    {"model": "llama-3.1-8b", "hardware": "l40s", "batch_size": 1},
    {"model": "llama-3.1-70b", "hardware": "h100-sxm", "tokens_per_day": 2.0e9, "peak_to_average": 1.7},
    {"model": "mistral-large-2", "hardware": "b200", "precision": "fp4", "requests_per_s": 3.3, "tpot_ms": 40},
]


@pytest.mark.parametrize(("workload", "body"), [("training", b) for b in TRAINING] + [("inference", b) for b in SERVING])
def test_every_float_of_an_estimate_is_rounded_as_declared(client, workload, body):
    response = client.post(f"/api/v1/estimates/{workload}", json=body)
    assert response.status_code == 200, response.get_json()
    checked, bad = unrounded(response.get_json(), estimate_digits, workload)
    assert bad == []
    assert checked > 40


@pytest.mark.parametrize("body", [
    {"workload": "training", "preset": "article", "hardware": "h100-sxm"},
    {"workload": "inference", "preset": "deepseek", "hardware": "h200", "precision": "fp8", "requests_per_s": 7.5,
     "tpot_ms": 60},
    {"workload": "inference", "models": ["llama-3.1-8b", "llama-3.1-70b"], "hardware": "h100-sxm",
     "tokens_per_day": 3.3e9},
])
def test_every_float_of_a_comparison_is_rounded_as_declared(client, body):
    response = client.post("/api/v1/compare", json=body)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    checked, bad = unrounded(result, comparison_digits, body["workload"])
    assert bad == []
    assert any(r is not None and r != 1.0 for row in result["ratios"].values() for r in row.values())
    assert checked > 100


@pytest.mark.parametrize("body", [
    {"workload": "inference", "model": "deepseek-v3", "hardware": "all", "requests_per_s": 20, "ttft_ms": 2000,
     "tpot_ms": 50},
    {"workload": "inference", "model": "llama-3.1-70b", "hardware": ["h100-sxm:fp8", "h100-sxm:bf16", "l40s"],
     "tokens_per_day": 1.1e9},
    {"workload": "training", "model": "llama-3.1-70b", "hardware": ["h100-sxm", "b200", "a100-80gb-sxm"],
     "tokens": 2.5e12, "deadline_days": 45},
])
def test_every_float_of_a_hardware_comparison_is_rounded_as_declared(client, body):
    response = client.post("/api/v1/compare/hardware", json=body)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    checked, bad = unrounded(result, hardware_digits, body["workload"])
    assert bad == []
    assert any(r is not None and r != 1.0 for row in result["rows"] if "ratios" in row for r in row["ratios"].values())
    assert checked > 100


def test_a_latency_rounded_down_is_its_six_figure_number():
    """The issue's case: 49.9588 rounded down was 49.9588 - 0.0001 = 49.95869999999999 in binary;
    now the six-figure number below the value, 49.9587 (never above it: a met target stays met)."""
    from estimator.inference import _sig_down

    assert _sig_down(49.95875) == 49.9587
    assert _sig_down(99.999999) == 99.9999
    assert _sig_down(12.5) == 12.5
