"""Capacity plans (estimator/planning/capacity.py): golden worked examples from the seed price book
and the sourced defaults (seeds/planning/defaults.csv), properties, and bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.bands import Band
from estimator.errors import InvalidInputError
from estimator.planning.capacity import CapacityRequest, plan_capacity
from estimator.planning.produce import serving_output, training_output
from estimator.planning.structure import load_defaults

# --- The mid scenario, worked out by hand ---------------------------------------------------------
# H100 SXM (seeds/hardware.csv): DGX H100 10.2 kW for 8 GPUs -> 1.275 kW nameplate per GPU.
# Purchase price (seeds/pricing/hardware_costs.csv): DGX H100 $270,000 and $375,000 for 8 GPUs ->
# $33,750 and $46,875 per GPU, a 2026 range of $250,000 to $400,000 per 8-GPU server -> $31,250 and
# $50,000 per GPU (scope: server), and a mid-2026 street price of $30,000 for the GPU alone
# (scope: gpu). The 2023-05-29 DGX row is history (more than 548 days before the newest row,
# 2026-07-01: cost.current), so mid = the median of the other four = (31,250 + 46,875) / 2 = $39,062.5.
# Network (tech-talk-cto cluster sheet, 3-tier fabric): $6,613 per GPU. Storage: 5 % of servers.
# Building (Cushman & Wakefield 2025, US average): $11.7M per MW of critical IT load.
H100_SERVER = 39_062.5  # median of 30,000, 31,250, 46,875, 50,000
H100_KW = 10.2 / 8  # 1.275
H100_ALL_IN = H100_SERVER + 6_613 + 0.05 * H100_SERVER + 11.7e6 * H100_KW / 1000  # 62,546.125
# GB200 NVL72: a press estimate of $3M and Bernstein's $3.4M (compute hardware, 2025) per 72-GPU rack
# -> $41,666.67 and $47,222.22 per GPU; mid = their median = $3.2M / 72 = $44,444.44. 6.667 kW per 4-GPU tray.
GB200_SERVER = (3e6 / 72 + 3.4e6 / 72) / 2
GB200_KW = 6.667 / 4  # 1.66675 -> 120.0 kW per 72-GPU rack
GB200_ALL_IN = GB200_SERVER + 6_613 + 0.05 * GB200_SERVER + 11.7e6 * GB200_KW / 1000  # 72,780.64


def plan(catalog, book, hw: str, **values):
    return plan_capacity(CapacityRequest(catalog.get_hardware(hw), **values), book, catalog)


def test_60b_on_h100_golden(catalog, book):
    p = plan(catalog, book, "h100-sxm", budget_usd=60e9)
    assert H100_ALL_IN == pytest.approx(62_546.125)
    gpus = 60e9 // (H100_ALL_IN * 8) * 8  # whole 8-GPU servers: 959,288
    assert p.gpus.mid == gpus == 959_288
    assert p.servers.mid == 119_911
    assert p.racks.mid == math.ceil(119_911 / 4)  # 4 x 10.2 kW servers in a 41 kW air-cooled rack
    assert p.system_kind == "air-cooled server"
    assert p.it_mw.mid == pytest.approx(959_288 * H100_KW / 1000)  # 1,223.09 MW
    assert p.facility_mw.mid == pytest.approx(959_288 * H100_KW * 1.2 / 1000)  # PUE mid 1.2
    assert p.capex_usd["servers"].mid == pytest.approx(959_288 * H100_SERVER)  # $37.5B
    assert p.capex_usd["building"].mid == pytest.approx(959_288 * 11.7e6 * H100_KW / 1000)  # $14.3B
    assert p.capex_usd["total"].mid == pytest.approx(959_288 * H100_ALL_IN)  # just under $60B


def test_60b_on_gb200_nvl72_golden(catalog, book):
    p = plan(catalog, book, "gb200", budget_usd=60e9)
    assert GB200_ALL_IN == pytest.approx(72_780.64)
    racks = 60e9 // (GB200_ALL_IN * 72)  # whole NVL72 racks: 11,449
    assert p.system_kind == "liquid-cooled rack" and p.gpus_per_system == 72
    assert p.racks.mid == racks == 11_449
    assert p.gpus.mid == 11_449 * 72 == 824_328
    assert p.it_mw.mid == pytest.approx(824_328 * GB200_KW / 1000)  # 1,374 MW
    # Fewer GPUs than H100 for the money, each drawing more: 1.67 vs 1.275 kW nameplate.
    assert p.gpus.mid < plan(catalog, book, "h100-sxm", budget_usd=60e9).gpus.mid


def test_one_gigawatt_facility_golden(catalog, book):
    p = plan(catalog, book, "h100-sxm", power_mw=1000)
    # 1,000 MW facility / PUE 1.2 = 833.3 MW IT; / 1.275 kW per GPU = 653,594.8 -> whole servers
    assert p.gpus.mid == 1000 * 1000 / 1.2 / H100_KW // 8 * 8 == 653_592
    assert p.facility_mw.mid <= 1000
    assert p.facility_mw.high <= 1000  # every scenario stays inside the envelope
    assert p.capex_usd["total"].mid == pytest.approx(653_592 * H100_ALL_IN)  # $40.9B


def test_energy_and_own_cost_per_gpu_mid(catalog, book):
    # Average draw at 60 % utilisation: GPU 0.6 x 695 W + 0.4 x 130 W (H200 measured fractions of a
    # 700 W limit) + the server's non-GPU nameplate (1,275 - 700 = 575 W) x 0.44 loaded = 722 W.
    p = plan(catalog, book, "h100-sxm", budget_usd=60e9)
    watts = 0.6 * 695 + 0.4 * 130 + 575 * 0.44
    mwh = watts / 1000 * 1.2 * 8766 / 1000  # facility MWh per GPU a year
    unit = p.per_gpu["mid"]
    assert unit["average_it_kw"] == pytest.approx(watts / 1000)
    assert unit["facility_mwh_per_year"] == pytest.approx(mwh)
    # median of the seed energy sheet's current rows of the default market, United States (Texas 0.066,
    # Virginia 0.0892, US 0.0929; the 2024-03-18 US 0.0806 is more than 548 days before the newest,
    # 2026-01-31; the EU's 0.2092 is another market): 0.0892
    usd_per_kwh = 0.0892
    assert unit["energy_usd_per_year"] == pytest.approx(mwh * 1000 * usd_per_kwh)
    annual = (H100_SERVER * 1.05 + 6_613) / 5 + 11.7e6 * H100_KW / 1000 / 15 + mwh * 1000 * usd_per_kwh
    assert unit["annual_own_usd"] == pytest.approx(annual)
    assert unit["own_usd_per_used_gpu_hour"] == pytest.approx(annual / (8766 * 0.6))


def test_sources_carried(catalog, book):
    p = plan(catalog, book, "h100-sxm", budget_usd=60e9)
    sources = {a.name: a.source for a in p.assumptions}
    assert "Cushman & Wakefield" in sources["building_usd_per_mw"]
    assert "https://" in sources["network_usd_per_gpu"]
    assert p.structure.price_scope == "gpu/server"  # the H100 rows: four servers and one GPU-only street price
    assert all(row.source for row in load_defaults().values())


def test_what_the_fleet_produces_uses_the_estimates(catalog, book):
    p = plan(catalog, book, "h100-sxm", budget_usd=60e9)
    out = training_output(p, {"model": "deepseek-v3"}, book, catalog)
    hours = out.gpu_hours_per_run.mid
    assert out.runs_per_year.mid == pytest.approx(959_288 * 8766 * 0.6 / hours)
    assert out.tokens == 14.8e12 and out.gpus_per_run == 16_384
    serve = serving_output(p, {"model": "llama-3.1-405b", "precision": "fp8"}, book, catalog)
    per_s = serve.output_tokens_per_s_per_replica.mid
    assert serve.output_tokens_per_day.mid == pytest.approx(959_288 // serve.gpus_per_replica * per_s * 86_400 * 0.6)


@settings(max_examples=25, deadline=None)
@given(st.floats(1e7, 1e12), st.floats(1.0, 10.0))
def test_more_budget_never_fewer_gpus(catalog, book, budget, factor):
    small = plan(catalog, book, "h200-sxm", budget_usd=budget)
    large = plan(catalog, book, "h200-sxm", budget_usd=budget * factor)
    for s in ("low", "mid", "high"):
        assert large.gpus[s] >= small.gpus[s]


@settings(max_examples=25, deadline=None)
@given(st.floats(1.0, 10_000.0), st.floats(1.0, 10.0))
def test_more_power_never_fewer_gpus(catalog, book, mw, factor):
    small, large = plan(catalog, book, "gb200", power_mw=mw), plan(catalog, book, "gb200", power_mw=mw * factor)
    assert all(large.gpus[s] >= small.gpus[s] for s in ("low", "mid", "high"))


@settings(max_examples=25, deadline=None)
@given(st.floats(0.05, 1.0), st.floats(0.0, 0.95))
def test_higher_utilisation_never_raises_cost_per_used_gpu_hour(catalog, book, u, step):
    higher = min(1.0, u + step)
    a = plan(catalog, book, "h100-sxm", budget_usd=1e9, utilisation=u)
    b = plan(catalog, book, "h100-sxm", budget_usd=1e9, utilisation=higher)
    for s in ("low", "mid", "high"):
        assert b.own_usd_per_used_gpu_hour[s] <= a.own_usd_per_used_gpu_hour[s] * (1 + 1e-12)


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"budget_usd": 0}, "budget_usd", "'budget_usd' must be a finite number greater than 0, got 0."),
    ({"budget_usd": -5e9}, "budget_usd", "'budget_usd' must be a finite number greater than 0, got -5000000000.0."),
    ({"power_mw": 0}, "power_mw", "'power_mw' must be a finite number greater than 0, got 0."),
    ({"power_mw": -1.0}, "power_mw", "'power_mw' must be a finite number greater than 0, got -1.0."),
    ({}, "budget_usd", "Give exactly one of 'budget_usd' (capex in US dollars, e.g. 60e9) or 'power_mw' "
                       "(facility power in MW, e.g. 1000)."),
    ({"budget_usd": 1e9, "power_mw": 10}, "budget_usd", "Give exactly one of 'budget_usd' (capex in US dollars, "
                                                        "e.g. 60e9) or 'power_mw' (facility power in MW, e.g. 1000)."),
    ({"budget_usd": 1e9, "storage_share": 1.5}, "storage_share",
     "'storage_share' is a share: give a number from 0 to 1 (100 %), got 1.5."),
    ({"budget_usd": 1e9, "utilisation": 0}, "utilisation",
     "'utilisation' is a share: give a number from above 0 to 1 (100 %), got 0."),
    ({"budget_usd": 1e9, "pue": 0.9}, "pue", "'pue' is facility / IT power and cannot be below 1, got 0.9."),
    ({"budget_usd": 1e9, "network_usd_per_gpu": -1}, "network_usd_per_gpu",
     "'network_usd_per_gpu' must be a finite number of 0 or more, got -1."),
])
def test_bad_input(catalog, book, values, field, message):
    with pytest.raises(InvalidInputError) as caught:
        plan(catalog, book, "h100-sxm", **values)
    assert caught.value.field == field
    assert caught.value.message == message


def test_a_budget_below_one_server_buys_none_and_says_what_one_costs(catalog, book):
    result = plan(catalog, book, "h100-sxm", budget_usd=1e4)
    assert (result.gpus, result.servers, result.racks) == (Band(0, 0, 0), Band(0, 0, 0), Band(0, 0, 0))
    assert result.capex_usd["total"] == Band(0.0, 0.0, 0.0)
    assert result.warnings[0] == ("'budget_usd' (10,000 USD) does not buy one air-cooled server of 8 NVIDIA H100 80GB "
                                  "SXM5 GPUs: that needs about 500,000 USD, so the plan has no GPUs.")
    rack = plan(catalog, book, "gb200", power_mw=0.01)
    assert rack.gpus == Band(0, 0, 0)
    assert rack.warnings[0].startswith("'power_mw' (0.01 MW) does not buy one liquid-cooled rack of 72 NVIDIA GB200")


def test_seed_readme_documents_the_planning_defaults():
    from estimator.catalog import SEEDS_DIR

    readme = (SEEDS_DIR / "README.md").read_text(encoding="utf-8")
    header = (SEEDS_DIR / "planning" / "defaults.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    for name in (*header, *load_defaults()):
        assert f"`{name}`" in readme, f"planning/defaults.csv: {name} is not documented in seeds/README.md"
