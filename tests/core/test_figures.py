"""The declaration of the result's figures (estimator/figures.py) and the results the core returns
cannot drift: every leaf of real results is declared, every declaration occurs in one of them, with
the declared kind, JSON type and significant figures, and every formula it names exists."""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from estimator import figures as F
from estimator.compare import compare
from estimator.inference import estimate_inference
from estimator.inputs import inference_request, training_request
from estimator.training import estimate_training

TRAINING_REQUESTS = {
    "dense, GPUs given": {"model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 1024},
    "deadline": {"model": "llama-3.1-8b", "tokens": 1e12, "hardware": "h100-sxm", "deadline_days": 10},
    "moe fp8, fewest nodes": {"model": "deepseek-v3", "hardware": "h800", "precision": "fp8"},
    "inline parameters": {"params": 70e9, "active_params": 13e9, "tokens": 2e12, "hardware": "h200-sxm",
                          "deadline_days": 30, "recompute": "full"},
    "utilisation override": {"model": "llama-3.1-8b", "tokens": 1e12, "hardware": "h100-sxm", "gpus": 64,
                             "utilisation": 0.4},
}
SERVING_REQUESTS = {
    "dense, no load": {"model": "llama-3.1-70b", "hardware": "h100-sxm"},
    "moe, expert parallel, load": {"model": "deepseek-v3", "hardware": "h200-sxm", "precision": "fp8",
                                   "requests_per_s": 5},
    "latency targets and load": {"model": "llama-2-70b", "hardware": "h100-sxm", "precision": "fp8",
                                 "input_tokens": 300, "output_tokens": 294, "requests_per_s": 20, "tpot_ms": 50,
                                 "ttft_ms": 2000},
    "daily tokens, peak": {"model": "llama-3.1-8b", "hardware": "l4", "precision": "fp8", "tokens_per_day": 1e9,
                           "peak_to_average": 2},
}


@pytest.fixture(scope="module")
def results(catalog, book) -> dict[str, list[dict[str, Any]]]:
    training = [estimate_training(training_request(catalog, dict(v)), book, catalog).to_dict()
                for v in TRAINING_REQUESTS.values()]
    serving = [estimate_inference(inference_request(catalog, dict(v)), book, catalog).to_dict()
               for v in SERVING_REQUESTS.values()]
    return {F.TRAINING: training, F.INFERENCE: serving}


def walk(workload: str, node: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) of every figure in a result: down through declared groups, stopping at a
    declared figure (a band or a record counts as one); an undeclared leaf or object is yielded as
    it is, for the test to name."""
    declared = {f.path for f in F.FIGURES[workload]}
    groups = {g.path for g in F.GROUPS[workload]}
    for key, value in node.items():
        here = (*path, key)
        if here in declared or here not in groups or not isinstance(value, Mapping):
            yield here, value
        else:
            yield from walk(workload, value, here)


def test_the_requests_cover_what_the_declaration_distinguishes(results):
    serving = results[F.INFERENCE]
    assert {F.Serving.PARALLELISM.value(r) for r in serving} == {"tensor", "expert"}
    assert any(F.Serving.API_PRICE.value(r) is None for r in serving)
    assert any(F.Serving.API_PRICE.value(r) is not None for r in serving)
    assert any(F.Serving.LOAD_REQUESTS_PER_S.value(r) is None for r in serving)
    assert any(F.Training.GPUS_FOR_DEADLINE.value(r) is None for r in results[F.TRAINING])


@pytest.mark.parametrize("workload", F.WORKLOADS)
def test_every_leaf_of_a_result_is_declared(results, workload):
    for result in results[workload]:
        undeclared = [".".join(p) for p, _ in walk(workload, result) if F.find(workload, ".".join(p)) is None]
        assert undeclared == [], f"{workload} result has figures estimator/figures.py does not declare"


@pytest.mark.parametrize("workload", F.WORKLOADS)
def test_every_declared_figure_occurs(results, workload):
    found = {p for result in results[workload] for p, _ in walk(workload, result)}
    missing = [f.key for f in F.FIGURES[workload] if f.path not in found]
    assert missing == [], f"declared {workload} figures no result has"
    always = [f.key for f in F.FIGURES[workload] if not f.optional
              and any(f.path not in {p for p, _ in walk(workload, r)} for r in results[workload])]
    assert always == [], "figures missing from some result must be declared optional"
    groups = [g.key for g in F.GROUPS[workload] if not g.optional and any(g.value(r) is None for r in results[workload])]
    assert groups == [], "objects missing from some result must be declared optional"
    for group in F.GROUPS[workload]:
        if group.optional:
            assert all(m.optional for m in F.members(group)), group.key


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", dict: "object", list: "array"}[type(value)]


def _rounded(value: float, digits: int) -> bool:
    """At most ``digits`` significant figures, up to the float's last bit (a latency rounded down to
    6 figures may be the float just below the 6-figure decimal)."""
    return math.isclose(value, float(format(value, f".{digits}g")), rel_tol=1e-14)


@pytest.mark.parametrize("workload", F.WORKLOADS)
def test_figures_have_the_declared_kind_type_and_digits(results, workload):
    for result in results[workload]:
        for path, value in walk(workload, result):
            figure = F.find(workload, ".".join(path))
            assert figure is not None
            if value is None:
                assert figure.nullable, figure.key
                continue
            if figure.kind == F.BAND:
                assert isinstance(value, dict) and list(value) == list(F.SCENARIOS), figure.key
                assert value["low"] <= value["mid"] <= value["high"], figure.key
                members = list(value.values())
            else:
                members = [value]
            for member in members:
                kind = _json_type(member)
                assert kind == figure.type or (figure.type == "number" and kind == "integer"), (figure.key, member)
                if figure.digits is not None and isinstance(member, float) and math.isfinite(member):
                    assert _rounded(member, figure.digits), (figure.key, member, figure.digits)


def _resolve(reference: str) -> Any:
    parts = reference.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            node: Any = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            node = getattr(node, name)
        return node
    raise ModuleNotFoundError(reference)


def test_every_formula_named_exists():
    named = {r for fs in F.FIGURES.values() for f in fs for r in f.formula}
    named |= {r for ms in F.METRICS.values() for m in ms for r in m.formula}
    for reference in sorted(named):  # a formula moved or renamed: update its figure in estimator/figures.py
        assert callable(_resolve(reference)), reference


def test_every_computed_figure_names_its_formula():
    echoed = [f.key for fs in F.FIGURES.values() for f in fs if not f.formula and f.path[0] not in
              ("workload", "model", "hardware", "precision")]
    assert echoed == []
    for metrics in F.METRICS.values():
        for m in metrics:
            assert (m.figure is None) == bool(m.formula), m.name


def test_figures_are_declared_once_with_a_label_and_description():
    for workload, figures in F.FIGURES.items():
        keys = [f.key for f in figures]
        assert len(keys) == len(set(keys)), workload
        assert all(f.workload == workload and f.label and f.description for f in figures)
    for workload, groups in F.GROUPS.items():
        for group in groups:
            assert F.members(group), group.key
            assert group.workload == workload and group.schema and group.description


def test_groups_sharing_a_schema_have_the_same_members():
    shapes: dict[str, set[tuple[str, ...]]] = {}
    for groups in F.GROUPS.values():
        for group in groups:
            names = {tuple(m.path[len(group.path):]) for m in F.members(group)}
            assert shapes.setdefault(group.schema, names) == names, group.schema


@pytest.mark.parametrize(
    ("workload", "models", "values"),
    [
        ("training", ["llama-3.1-8b", "llama-3.1-70b"], {"hardware": "h100-sxm", "tokens": 1e12, "gpus": 512}),
        ("inference", ["llama-3.1-8b", "deepseek-v3"], {"hardware": "h200-sxm", "precision": "fp8",
                                                         "requests_per_s": 5}),
    ],
)
def test_comparison_metrics_are_the_declared_ones(catalog, book, workload, models, values):
    result = compare(catalog, book, workload, models, values)
    for model, metrics in result["metrics"].items():
        assert list(metrics) == [m.name for m in F.METRICS[workload]], model
        row = next(r for r in result["rows"] if r.get("model") == model)
        for m in F.METRICS[workload]:
            if m.figure is not None:
                assert m.figure.workload == workload
                assert metrics[m.name] == float(m.figure.mid(row)), m.name
