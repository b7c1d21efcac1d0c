"""The planning results as JSON-ready dicts: every value placed at its declared path
(``planning/figures.py``, ``estimator.figures.assemble``) with its declared digits.

Inputs: the frozen results of the planning modules. Outputs: plain dicts, identical for the API,
the CLI (``--json``) and the pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..figures import BAND, assemble
from . import figures as pf
from .capacity import CapacityPlan
from .demand import DemandScenario
from .mix import MixPlan
from .produce import ServingOutput, TrainingOutput
from .rent_vs_buy import RentVsBuy
from .sensitivity import METRICS, Sensitivity


def _place(result: str, values: dict[str, Any]) -> dict[str, Any]:
    """Each declared figure of ``result`` found in ``values`` (by key), rounded, at its path."""
    entries = []
    for figure in pf.figures_of(result):
        if figure.key not in values:
            continue
        raw = values[figure.key]
        entries.append((figure, pf.band(figure, raw) if figure.kind == BAND and raw is not None else
                        pf.value(figure, raw)))
    return assemble(entries)


def capacity_dict(plan: CapacityPlan, training: Sequence[TrainingOutput] = (),
                  serving: Sequence[ServingOutput] = ()) -> dict[str, Any]:
    mid = plan.per_gpu
    values: dict[str, Any] = {
        "hardware": plan.hardware, "hardware_name": plan.hardware_name, "basis": plan.basis,
        "system_kind": plan.system_kind, "gpus_per_system": plan.gpus_per_system, "gpus": plan.gpus,
        "servers": plan.servers, "racks": plan.racks, "power_mw.it": plan.it_mw, "power_mw.facility": plan.facility_mw,
        "power_mw.average_facility": plan.average_facility_mw, "energy_mwh_per_year": plan.energy_mwh_per_year,
        "energy_usd_per_year": plan.energy_usd_per_year, "co2_t_per_year": plan.co2_t_per_year,
        **{f"capex_usd.{k}": v for k, v in plan.capex_usd.items()},
        "annual_own_usd": plan.annual_own_usd, "own_usd_per_used_gpu_hour": plan.own_usd_per_used_gpu_hour,
        "utilisation": plan.utilisation,
        "capex_usd_per_gpu_all_in": {s: mid[s]["capex_usd"] for s in ("low", "mid", "high")},
        "nameplate_kw_per_gpu": mid["mid"]["nameplate_it_kw"],
        "assumptions": [a.to_dict() for a in plan.assumptions], "warnings": list(plan.warnings),
        "pricing": plan.pricing,
    }
    if training:
        values["produces.training"] = [training_output_dict(t) for t in training]
    if serving:
        values["produces.serving"] = [serving_output_dict(s) for s in serving]
    return _place(pf.CAPACITY, values)


def mix_dict(mix: MixPlan, training: Sequence[Sequence[TrainingOutput]] = (),
             serving: Sequence[Sequence[ServingOutput]] = ()) -> dict[str, Any]:
    """A plan over a mix of GPUs: the totals at the capacity plan's paths, each GPU's plan (with what it
    produces, ``training[i]`` / ``serving[i]`` for part i) under ``mix``; the assumptions every part shares."""
    plans = [p.plan for p in mix.parts]
    parts = []
    for i, part in enumerate(mix.parts):
        size = ({"budget_usd": part.plan.request.budget_usd} if part.plan.request.budget_usd is not None
                else {"power_mw": part.plan.request.power_mw})
        plan = capacity_dict(part.plan, training[i] if i < len(training) else (),
                             serving[i] if i < len(serving) else ())
        parts.append(_place(pf.MIX_PART, {"hardware": part.hardware.id, "share": part.share, **size, "plan": plan}))
    shared = [a for a in plans[0].assumptions if all(a in p.assumptions for p in plans[1:])]
    t = mix.totals
    return _place(pf.CAPACITY, {
        "hardware": mix.label, "basis": plans[0].basis, "system_kind": "mix",
        "hardware_name": " + ".join(f"{p.share:.0%} {p.plan.hardware_name}" for p in mix.parts),
        "gpus": t["gpus"], "servers": t["servers"], "racks": t["racks"], "power_mw.it": t["it_mw"],
        "power_mw.facility": t["facility_mw"], "power_mw.average_facility": t["average_facility_mw"],
        "energy_mwh_per_year": t["energy_mwh_per_year"], "energy_usd_per_year": t["energy_usd_per_year"],
        "co2_t_per_year": t["co2_t_per_year"], **{f"capex_usd.{k}": v for k, v in mix.capex_usd.items()},
        "annual_own_usd": t["annual_own_usd"], "own_usd_per_used_gpu_hour": t["own_usd_per_used_gpu_hour"],
        "utilisation": plans[0].utilisation, "mix": parts, "assumptions": [a.to_dict() for a in shared],
        "warnings": list(dict.fromkeys(w for p in plans for w in p.warnings))})


def training_output_dict(out: TrainingOutput) -> dict[str, Any]:
    return _place(pf.TRAINING_OUTPUT, {
        "model": out.model, "tokens": out.tokens, "gpus_per_run": out.gpus_per_run,
        "gpu_hours_per_run": out.gpu_hours_per_run, "days_per_run": out.days_per_run,
        "runs_per_year": out.runs_per_year, "concurrent_runs": out.concurrent_runs})


def serving_output_dict(out: ServingOutput) -> dict[str, Any]:
    return _place(pf.SERVING_OUTPUT, {
        "model": out.model, "gpus_per_replica": out.gpus_per_replica, "replicas": out.replicas,
        "output_tokens_per_s_per_replica": out.output_tokens_per_s_per_replica,
        "output_tokens_per_day": out.output_tokens_per_day})


def rent_vs_buy_dict(r: RentVsBuy) -> dict[str, Any]:
    money = pf.RentVsBuyFigures.CAPEX
    return _place(pf.RENT_VS_BUY, {
        "hardware": r.hardware, "gpus": r.gpus, "horizon_months": r.horizon_months, "utilisation": r.utilisation,
        "cost_of_capital": r.cost_of_capital, "rent_usd_per_gpu_hour": r.rent_usd_per_gpu_hour,
        "capex_usd": r.capex_usd, "rent_usd_per_month": r.rent_usd_per_month,
        "energy_usd_per_month": r.energy_usd_per_month, "own_usd_per_gpu_hour": r.own_usd_per_gpu_hour,
        "break_even_month": r.break_even_month, "break_even_utilisation": r.break_even_utilisation,
        "verdict": r.verdict, "by_month.month": list(r.months),
        "by_month.rent_usd": [pf.value(money, v) for v in r.rent_cumulative_usd],
        "by_month.buy_usd": [pf.value(money, v) for v in r.buy_cumulative_usd],
        "assumptions": [a.to_dict() for a in r.assumptions], "warnings": list(r.warnings), "pricing": r.pricing})


def demand_dict(dem: DemandScenario) -> dict[str, Any]:
    points = [_place(pf.DEMAND_POINT, {
        "label": p.label, "elasticity": p.elasticity, "output_ratio": p.output_ratio,
        "compute_ratio": p.compute_ratio, "direction": p.direction, "gpus": p.gpus, "facility_mw": p.facility_mw,
        "capex_usd": p.capex_usd, "annual_own_usd": p.annual_own_usd}) for p in dem.points]
    ratio = pf.DemandPointFigures.COMPUTE_RATIO
    return _place(pf.DEMAND, {
        "efficiency_gain": dem.efficiency_gain, "gain_source": dem.gain_source, "statement": dem.statement,
        "points": points, "curve": [{"elasticity": e, "compute_ratio": pf.value(ratio, c)} for e, c in dem.curve],
        "fleet": capacity_dict(dem.fleet) if dem.fleet is not None else None,
        "assumptions": [a.to_dict() for a in dem.assumptions]})


def sensitivity_dict(sens: Sensitivity, plan: CapacityPlan | None = None, estimate: Mapping[str, Any] | None = None,
                     label: str = "") -> dict[str, Any]:
    """A plan's sensitivity (``plan``), or an estimate's (``estimate`` and the figure's ``label``)."""
    if plan is not None:
        name, unit = METRICS[sens.metric]
        label = f"{name} ({unit})"
    tornado = [_place(pf.TORNADO_BAR, {"name": b.name, "low_input": b.low_input, "high_input": b.high_input,
                                       "output_at_low": b.output_at_low, "output_at_high": b.output_at_high,
                                       "swing": b.swing}) for b in sens.tornado]
    sobol = [_place(pf.SOBOL_INDEX, {"name": s.name, "first_order": s.first_order, "first_order_conf": s.first_order_conf,
                                     "total": s.total, "total_conf": s.total_conf}) for s in sens.sobol]
    return _place(pf.SENSITIVITY, {
        "metric": sens.metric, "label": label, "output_at_mid": sens.output_at_mid,
        "evaluations": sens.evaluations, "samples": sens.samples, "fixed": list(sens.fixed), "tornado": tornado,
        "sobol": sobol, **({"plan": capacity_dict(plan)} if plan is not None else {"estimate": dict(estimate or {})})})
