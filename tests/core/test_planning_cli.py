"""The planning commands (estimator/plan_cli.py): --json prints the API's body; bad input exits 2."""

from __future__ import annotations

import json

import pytest

from estimator.cli import run
from estimator.planning import results
from estimator.planning.capacity import CapacityRequest, plan_capacity
from estimator.planning.demand import demand_scenario


def call(argv, capsys):
    lines: list[str] = []
    code = run(argv, out=lines.append)
    return code, "\n".join(lines), capsys.readouterr().err


def test_plan_json_is_the_core_result(capsys, catalog, book):
    code, out, _ = call(["plan", "--budget-usd", "60e9", "--hardware", "h100-sxm", "--json"], capsys)
    assert code == 0
    plan = plan_capacity(CapacityRequest(catalog.get_hardware("h100-sxm"), budget_usd=60e9), book, catalog)
    assert json.loads(out) == json.loads(json.dumps(results.capacity_dict(plan)))
    assert json.loads(out)["gpus"]["mid"] == 959_288


def test_power_plan_and_what_it_produces(capsys):
    code, out, _ = call(["plan", "--power-mw", "1000", "--hardware", "gb200", "--train", "deepseek-v3", "--json"],
                        capsys)
    body = json.loads(out)
    assert code == 0 and body["basis"] == "power" and body["system_kind"] == "liquid-cooled rack"
    assert body["produces"]["training"][0]["model"] == "deepseek-v3"


def test_demand_json(capsys):
    code, out, _ = call(["scenario", "demand", "--efficiency-gain", "10", "--elasticity", "1.2", "--json"], capsys)
    assert code == 0
    assert json.loads(out) == json.loads(json.dumps(results.demand_dict(demand_scenario(10.0, [1.2]))))
    assert json.loads(out)["points"][0]["compute_ratio"] == pytest.approx(10**0.2, rel=1e-3)


def test_tables(capsys):
    code, out, _ = call(["plan", "--budget-usd", "60e9", "--hardware", "h100-sxm"], capsys)
    assert code == 0 and "GPUs (GPUs)" in out and "959,288" in out and "Cushman & Wakefield" in out
    code, out, _ = call(["rent-vs-buy", "--hardware", "h100-sxm", "--gpus", "1024"], capsys)
    assert code == 0 and out.startswith("Buying costs less than renting from month")
    code, out, _ = call(["plan", "--budget-usd", "1e9", "--hardware", "h100-sxm", "--sensitivity", "--samples", "64"],
                        capsys)
    assert code == 0 and "utilisation" in out.splitlines()[3]


@pytest.mark.parametrize(("argv", "message"), [
    (["plan", "--budget-usd", "0", "--hardware", "h100-sxm"],
     "'budget_usd' must be a finite number greater than 0, got 0.0."),
    (["plan", "--power-mw", "-5", "--hardware", "h100-sxm"], "'power_mw' must be a finite number greater than 0, got -5.0."),
    (["plan", "--budget-usd", "1e9", "--hardware", "h100-sxm", "--storage-share", "1.5"],
     "'storage_share' is a share: give a number from 0 to 1 (100 %), got 1.5."),
    (["plan", "--budget-usd", "1e9"], "--hardware is required: a catalog GPU id such as h100-sxm or gb200."),
    (["scenario", "demand", "--efficiency-gain", "10", "--elasticity", "9"],
     "'elasticity' is a price elasticity of demand: give a number from 0 to 5 (1 = spending unchanged), got 9.0."),
    (["rent-vs-buy", "--hardware", "h100-sxm", "--gpus", "8", "--horizon-months", "0"],
     "'horizon_months' must be a finite number greater than 0, got 0."),
])
def test_bad_input_exits_2(capsys, argv, message):
    code, out, err = call(argv, capsys)
    assert (code, out) == (2, "")
    assert err == f"estimator: error: {message}\n"


def test_sensitivity_on_an_estimate(capsys):
    code, out, _ = call(["training", "--model", "llama-3.1-70b", "--tokens", "15.6e12", "--hardware", "h100-sxm",
                         "--gpus", "1024", "--sensitivity", "--json"], capsys)
    body = json.loads(out)
    assert code == 0 and body["metric"] == "cost_usd.own" and body["tornado"][0]["name"] == "goodput"
    code, out, err = call(["inference", "--model", "llama-3.1-8b", "--hardware", "l4", "--sensitivity",
                           "--sensitivity-samples", "100"], capsys)
    assert code == 2 and err == ("estimator: error: 'samples' must be a power of 2 from 16 to 128 (Sobol sequences "
                                 "are balanced at powers of 2), got 100.\n")
