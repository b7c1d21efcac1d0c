"""The planning figures' declaration (estimator/planning/figures.py) and the results cannot drift:
every leaf of real results is declared, every declared figure occurs, every formula exists; and the
article preset answers with sourced inputs."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from estimator.figures import BAND, Group
from estimator.planning import figures as pf
from estimator.planning import results
from estimator.planning.capacity import CapacityRequest, plan_capacity
from estimator.planning.demand import demand_scenario
from estimator.planning.mix import plan_mix
from estimator.planning.presets import article
from estimator.planning.produce import serving_output, training_output
from estimator.planning.rent_vs_buy import RentVsBuyRequest, rent_vs_buy
from estimator.planning.sensitivity import analyse


@pytest.fixture(scope="module")
def outputs(catalog, book) -> dict[str, list[dict[str, Any]]]:
    plan = plan_capacity(CapacityRequest(catalog.get_hardware("h100-sxm"), budget_usd=60e9), book, catalog)
    capacity = results.capacity_dict(plan, [training_output(plan, {"model": "llama-3.1-405b"}, book, catalog)],
                                     [serving_output(plan, {"model": "llama-3.1-405b"}, book, catalog)])
    rvb = results.rent_vs_buy_dict(rent_vs_buy(RentVsBuyRequest(CapacityRequest(catalog.get_hardware("gb200")),
                                                                gpus=72), book, catalog))
    demand = results.demand_dict(demand_scenario(10.0, fleet=plan))
    sens = results.sensitivity_dict(analyse(plan, samples=64), plan)
    mixed = results.mix_dict(plan_mix(CapacityRequest(plan.request.hardware, power_mw=1000),
                                      [(catalog.get_hardware("h100-sxm"), 0.5), (catalog.get_hardware("gb200"), 0.5)],
                                      book, catalog))
    return {pf.CAPACITY: [capacity, mixed], pf.MIX_PART: mixed["mix"], pf.TRAINING_OUTPUT: capacity["produces"]["training"],
            pf.SERVING_OUTPUT: capacity["produces"]["serving"], pf.RENT_VS_BUY: [rvb], pf.DEMAND: [demand],
            pf.DEMAND_POINT: demand["points"], pf.SENSITIVITY: [sens], pf.TORNADO_BAR: sens["tornado"],
            pf.SOBOL_INDEX: sens["sobol"]}


def walk(result: str, node: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    declared = {f.path for f in pf.figures_of(result)}
    groups = {e.path for e in pf.ENTRIES[result] if isinstance(e, Group)}
    for key, value in node.items():
        here = (*path, key)
        if here in groups and isinstance(value, Mapping) and here not in declared:
            yield from walk(result, value, here)
        else:
            yield here


@pytest.mark.parametrize("result", pf.RESULTS)
def test_every_leaf_declared_and_every_figure_occurs(outputs, result):
    declared = {f.path for f in pf.figures_of(result)}
    seen = {path for item in outputs[result] for path in walk(result, item)}
    assert seen - declared == set()
    assert {f.path for f in pf.figures_of(result) if not f.optional} - seen == set()
    for figure in pf.figures_of(result):
        for item in outputs[result]:
            value = figure.value(item)
            if figure.kind == BAND and value is not None:
                assert set(value) == {"low", "mid", "high"}


def test_every_formula_names_a_function():
    for result in pf.RESULTS:
        for figure in pf.figures_of(result):
            for name in figure.formula:
                module, _, attr = name.rpartition(".")
                try:
                    target: Any = importlib.import_module(module)
                except ModuleNotFoundError:  # Class.method
                    module, _, cls = module.rpartition(".")
                    target = getattr(importlib.import_module(module), cls)
                assert hasattr(target, attr), name


def test_article_preset(catalog, book):
    out = article(book, catalog)
    assert [(p["budget"], p["plan"]["hardware"]) for p in out["plans"]] == [
        (b, h) for b in ("meta-2025", "stargate", "openai-round") for h in ("h100-sxm", "h200-sxm", "gb200")]
    for entry in out["plans"]:
        assert entry["source"] and entry["plan"]["capex_usd"]["total"]["mid"] <= entry["budget_usd"]
        runs = {t["model"]: t["runs_per_year"]["mid"] for t in entry["plan"]["produces"]["training"]}
        assert runs["deepseek-v3"] > runs["llama-3.1-405b"]  # the efficient MoE: more runs for the money
    stargate = next(p for p in out["plans"] if p["budget"] == "stargate" and p["plan"]["hardware"] == "gb200")
    meta = next(p for p in out["plans"] if p["budget"] == "meta-2025" and p["plan"]["hardware"] == "gb200")
    assert stargate["plan"]["gpus"]["mid"] == pytest.approx(meta["plan"]["gpus"]["mid"] * 500 / 60, rel=1e-3)
    assert [p["direction"] for p in out["demand"]["points"]] == ["falls", "rises", "rises"]
