"""A capacity plan over a mix of GPUs (estimator/planning/mix.py): the budget split by share, each part
planned by plan_capacity, the totals added up; a golden worked example by hand, properties, bad input."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.cli import run
from estimator.errors import InvalidInputError
from estimator.planning import figures as pf
from estimator.planning.capacity import CapacityRequest, plan_capacity
from estimator.planning.mix import plan_mix
from estimator.planning.results import capacity_dict, mix_dict

# The per-GPU mid figures worked out in tests/core/test_planning_capacity.py: H100 SXM $39,062.5 per GPU
# (median of DGX H100 $375k / 8, the 2026 $250k-$400k server range / 8 and a $30,000 GPU-only street
# price; the 2023 $270k DGX row is history), 1.275 kW nameplate
# (DGX H100 10.2 kW / 8), network $6,613, storage 5 %, building $11.7M per MW; GB200 NVL72 $3.2M per
# 72-GPU rack (median of $3M and $3.4M), 6.667 kW per 4-GPU tray.
H100_SERVER = 39_062.5
H100_KW = 10.2 / 8
H100_ALL_IN = H100_SERVER + 6_613 + 0.05 * H100_SERVER + 11.7e6 * H100_KW / 1000  # 62,546.125
GB200_SERVER = (3e6 / 72 + 3.4e6 / 72) / 2
GB200_KW = 6.667 / 4
GB200_ALL_IN = GB200_SERVER + 6_613 + 0.05 * GB200_SERVER + 11.7e6 * GB200_KW / 1000  # 72,780.64


def mix(catalog, book, shares, **size):
    parts = [(catalog.get_hardware(hw), share) for hw, share in shares]
    return plan_mix(CapacityRequest(parts[0][0], **size), parts, book, catalog)


def test_60b_half_h100_half_gb200_golden(catalog, book):
    m = mix(catalog, book, [("h100-sxm", 0.5), ("gb200", 0.5)], budget_usd=60e9)
    # $30B each. H100: 30e9 / ($62,546.125 all-in x 8 per server) = 59,955.7 -> 59,955 servers = 479,640 GPUs.
    h100 = 30e9 // (H100_ALL_IN * 8) * 8
    assert h100 == 479_640
    # GB200: 30e9 / ($72,780.64 all-in x 72 per rack) = 5,725.0 -> 5,724 NVL72 racks = 412,128 GPUs.
    gb200 = 30e9 // (GB200_ALL_IN * 72) * 72
    assert gb200 == 412_128
    h, g = (p.plan for p in m.parts)
    assert (h.gpus.mid, g.gpus.mid) == (479_640, 412_128)
    assert h.request.budget_usd == g.request.budget_usd == 30e9
    assert m.totals["gpus"].mid == 479_640 + 412_128 == 891_768
    # Racks: 59,955 servers, 4 to a 41 kW rack -> 14,989; plus 5,724 NVL72 racks.
    assert m.totals["racks"].mid == math.ceil(59_955 / 4) + 5_724 == 20_713
    # IT MW: 479,640 x 1.275 kW + 412,128 x 1.66675 kW = 611.54 + 686.91 = 1,298.46 MW.
    assert m.totals["it_mw"].mid == pytest.approx((479_640 * H100_KW + 412_128 * GB200_KW) / 1000)
    assert m.totals["it_mw"].mid == pytest.approx(1_298.46, abs=0.01)
    assert m.capex_usd["total"].mid == pytest.approx(479_640 * H100_ALL_IN + 412_128 * GB200_ALL_IN)  # just under $60B
    assert m.capex_usd["total"].mid <= 60e9
    # Own cost per used GPU-hour of the fleet: the parts' weighted by their GPUs.
    weighted = (479_640 * h.own_usd_per_used_gpu_hour.mid + 412_128 * g.own_usd_per_used_gpu_hour.mid) / 891_768
    assert m.totals["own_usd_per_used_gpu_hour"].mid == pytest.approx(weighted)
    # Between the two GPUs' own.
    assert h.own_usd_per_used_gpu_hour.mid < weighted < g.own_usd_per_used_gpu_hour.mid


def test_a_gigawatt_split_by_power(catalog, book):
    m = mix(catalog, book, [("h100-sxm", 0.25), ("gb200", 0.75)], power_mw=1000)
    # 250 MW / PUE 1.2 / 1.275 kW = 163,398.7 -> 163,392 GPUs (whole 8-GPU servers).
    assert m.parts[0].plan.gpus.mid == 250 * 1000 / 1.2 / H100_KW // 8 * 8 == 163_392
    # 750 MW / 1.2 / (1.66675 kW x 72) = 5,208.2 -> 5,208 racks = 374,976 GPUs.
    assert m.parts[1].plan.gpus.mid == 750 * 1000 / 1.2 / (GB200_KW * 72) // 1 * 72 == 374_976
    assert m.totals["facility_mw"].mid <= 1000


def test_result_dict_has_totals_and_parts(catalog, book):
    m = mix(catalog, book, [("h100-sxm", 0.5), ("gb200", 0.5)], budget_usd=60e9)
    d = mix_dict(m)
    assert d["hardware"] == "h100-sxm:0.5,gb200:0.5" and d["system_kind"] == "mix"
    assert d["hardware_name"] == "50% NVIDIA H100 80GB SXM5 + 50% NVIDIA GB200 (per Blackwell GPU in NVL72)"
    assert d["gpus"] == {"low": m.totals["gpus"].low, "mid": 891_768, "high": m.totals["gpus"].high}
    assert [p["share"] for p in d["mix"]] == [0.5, 0.5] and [p["budget_usd"] for p in d["mix"]] == [30e9, 30e9]
    single = plan_capacity(CapacityRequest(catalog.get_hardware("gb200"), budget_usd=30e9), book, catalog)
    assert d["mix"][1]["plan"] == capacity_dict(single)
    assert "pricing" not in d and "gpus_per_system" not in d
    names = {a["name"] for a in d["assumptions"]}
    assert "building_usd_per_mw" in names and "capex_usd_per_gpu" not in names  # per GPU: in each part
    declared = {f.path for f in pf.figures_of(pf.MIX_PART)}
    assert {(k,) for k in d["mix"][0]} <= declared


@settings(max_examples=25, deadline=None)
@given(share=st.floats(0.05, 0.95), budget=st.floats(1e9, 1e11))
def test_totals_are_the_parts_added(catalog, book, share, budget):
    m = mix(catalog, book, [("h100-sxm", share), ("gb200", 1 - share)], budget_usd=budget)
    for name in ("gpus", "racks", "energy_mwh_per_year", "annual_own_usd"):
        assert m.totals[name].mid == pytest.approx(sum(getattr(p.plan, name).mid for p in m.parts))
        assert m.totals[name].low <= m.totals[name].mid <= m.totals[name].high
    assert m.capex_usd["total"].mid <= budget * (1 + 1e-12)


@pytest.mark.parametrize(("shares", "message"), [
    ([("h100-sxm", 0.5), ("gb200", 0.6)], "The shares of a mix must add up to 1 (within 1e-09); 0.5 + 0.6 = 1.1."),
    ([("h100-sxm", 1.0)], "A mix needs 2 to 4 GPUs, each with its share, got 1; for one GPU give its id alone."),
    ([("h100-sxm", 0.5), ("h100-sxm", 0.5)], "Each GPU of a mix once: h100-sxm, h100-sxm repeats one."),
    ([("h100-sxm", 0.0), ("gb200", 1.0)], "The share of h100-sxm must be above 0 and at most 1, got 0.0."),
])
def test_bad_mix(catalog, book, shares, message):
    with pytest.raises(InvalidInputError) as err:
        mix(catalog, book, shares, budget_usd=60e9)
    assert str(err.value) == message and err.value.field == "hardware"


def test_shares_within_tolerance_are_accepted(catalog, book):
    m = mix(catalog, book, [("h100-sxm", 0.1), ("gb200", 0.2), ("h200-sxm", 0.7 - 5e-10)], budget_usd=60e9)
    assert len(m.parts) == 3


# --- The command line: --hardware h100-sxm:0.5,gb200:0.5 ---------------------------------------------
def call(argv, capsys):
    lines: list[str] = []
    code = run(argv, out=lines.append)
    return code, "\n".join(lines), capsys.readouterr().err


def test_cli_mix_json_is_the_api_body(capsys, catalog, book):
    code, out, _ = call(["plan", "--budget-usd", "60e9", "--hardware", "h100-sxm:0.5,gb200:0.5", "--json"], capsys)
    assert code == 0
    expected = mix_dict(mix(catalog, book, [("h100-sxm", 0.5), ("gb200", 0.5)], budget_usd=60e9))
    assert json.loads(out) == json.loads(json.dumps(expected))
    assert json.loads(out)["gpus"]["mid"] == 891_768


def test_cli_mix_table_shows_total_and_each_gpu(capsys):
    code, out, _ = call(["plan", "--power-mw", "1000", "--hardware", "h100-sxm:0.25,gb200:0.75"], capsys)
    assert code == 0
    assert out.startswith("25% NVIDIA H100 80GB SXM5 + 75% NVIDIA GB200 (per Blackwell GPU in NVL72), sized from the "
                          "power\n\ntotal:\n")
    assert "25% of the power: NVIDIA H100 80GB SXM5: air-cooled servers of 8 GPUs" in out
    assert "75% of the power: NVIDIA GB200 (per Blackwell GPU in NVL72): liquid-cooled racks of 72 GPUs" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--hardware", "h100-sxm:0.5,gb200:0.6"], "The shares of a mix must add up to 1 (within 1e-09); 0.5 + 0.6 = 1.1."),
    (["--hardware", "h100-sxm:half,gb200:0.5"], "--hardware: each GPU of a mix needs a share after a colon, e.g. "
                                               "h100-sxm:0.5,gb200:0.5; got 'h100-sxm:half'."),
    (["--hardware", "h100-sxm:0.5,gb200:0.5", "--sensitivity"],
     "--sensitivity analyses one GPU: give --hardware as one id, not a mix."),
])
def test_cli_bad_mix_exits_2(capsys, argv, message):
    code, out, err = call(["plan", "--budget-usd", "60e9", *argv], capsys)
    assert (code, out) == (2, "")
    assert err == f"estimator: error: {message}\n"
