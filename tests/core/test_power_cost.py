"""power.py and cost.py on hand-computed cases (each expected figure worked out in the comment)."""

import pytest

from estimator import cost, power
from estimator.bands import Band
from estimator.catalog import Hardware
from estimator.cost import PriceBook

# A GPU like H100 SXM: 700 W, DGX H100 server 10.2 kW for 8 GPUs -> 575 W of non-GPU nameplate per GPU.
GPU = Hardware(id="test-gpu", name="Test GPU", architecture="hopper", bf16_dense_tflops=1000.0, hbm_gb=80.0,
               hbm_bandwidth_tb_per_s=3.0, tdp_w=700.0, gpus_per_node=8, source="test", as_of="2025-01-01",
               node_max_power_kw=10.2)


def test_busy_energy_is_phase_draw_times_time():
    # 1 h compute-bound at 695 W + 1 h memory-bound at 555 W (H200 measurements) = 1,250 Wh
    assert power.busy_energy_wh(700.0, 3600.0, 3600.0) == pytest.approx(1250.0)


def test_server_overhead_per_gpu_from_the_published_server_power():
    overhead, warning = power.node_nameplate_overhead_w_per_gpu(GPU)
    assert overhead == pytest.approx(10200 / 8 - 700)  # 575 W
    assert warning is None
    assert power.node_max_power_w_per_gpu(GPU) == pytest.approx(1275.0)


def test_training_power_hand_computed():
    # 8 GPUs, 100 GPU-hours reserved, 90 busy (72 compute-bound, 18 memory-bound), 10 idle.
    # GPU energy: 72 h x 695 W + 18 h x 555 W + 10 h x 130 W = 50,040 + 9,990 + 1,300 = 61,330 Wh
    # servers: 575 W x 0.44 (mid overhead fraction) x 100 h = 25,300 Wh -> IT 86,630 Wh
    # IT power: 86,630 Wh / 100 GPU-h x 8 GPUs = 6.9304 kW; facility x1.2 = 8.31648 kW
    # energy: 86.63 kWh x 1.2 = 0.103956 MWh; CO2 at 0.4 kg/kWh: 0.0415824 t
    hours = Band.point(100.0)
    section = power.training_power(GPU, Band.point(72 * 3600.0), Band.point(18 * 3600.0), hours, 8,
                                   Band.point(1.2), Band.point(0.4))
    assert section.it_kw.mid == pytest.approx(6.9304)
    assert section.facility_kw.mid == pytest.approx(8.31648)
    assert section.energy_mwh.mid == pytest.approx(0.103956)
    assert section.co2_t.mid == pytest.approx(0.0415824)
    assert section.warnings == ()
    assert {a.name for a in section.assumptions} >= {"gpu_tdp_w", "server_overhead_fraction"}


def test_serving_power_hand_computed():
    # One replica of 2 GPUs at utilisation 0.5 serving 10 requests/s at full load; each request keeps
    # it 0.02 s compute-bound and 0.06 s memory-bound (replica-seconds), 100 output tokens.
    # busy Wh per request = (0.02 x 695 + 0.06 x 555) W s x 2 GPUs / 3600 = 94.4 / 3600 Wh
    # GPU W = 0.5 x 10 x 94.4 + (1 - 0.5 x 10 x 0.08) x 130 W idle x 2 = 472 + 156 = 628 W
    # servers: 575 x 0.44 x 2 = 506 W -> replica 1,134 W; J/token = 1134 / (0.5 x 10 x 100) = 2.268
    load = {s: power.ReplicaLoad(10.0, 0.02, 0.06, 100) for s in ("low", "mid", "high")}
    section = power.serving_power(GPU, 2, Band.point(1), Band.point(0.5), load, Band.point(1.0), Band.point(0.4))
    assert section.it_kw.mid == pytest.approx(1.134)
    assert section.joules_per_token.mid == pytest.approx(2.268)
    assert section.energy_mwh_per_day.mid == pytest.approx(1.134 * 24 / 1000)
    # provisioned: every GPU compute-bound (695 W) plus the mid server overhead: 2 x (695 + 253) W
    assert section.provisioned_it_kw.mid == pytest.approx(1.896)


def test_own_cost_hand_computed():
    # capex 30,000 $ over 5 years for 1,000 GPU-hours: 30,000 x 1,000 / (5 x 8,766) = 684.463...
    # energy 1,500 kWh x 0.10 $ = 150; colocation 150 $/kW-month x 1.3 kW x 1,000 h / 730.5 h = 266.940...
    expected = 30000 * 1000 / (5 * 8766) + 150 + 150 * 1.3 * 1000 / 730.5
    assert cost.own_usd(1000, 30000, 5, 1500, 0.10, 150, 1.3) == pytest.approx(expected)
    assert expected == pytest.approx(1101.40, abs=0.01)
    assert cost.rent_usd(1000, 2.5) == 2500


def _book() -> PriceBook:
    sheets = {
        "gpu_prices": [{"gpu": "test-gpu", "usd_per_gpu_hour": "2.0", "provider": "A", "pricing_model": "on_demand",
                        "effective_date": "2025-01-01", "source": "test"},
                       {"gpu": "test-gpu", "usd_per_gpu_hour": "4.0", "provider": "B", "pricing_model": "on_demand",
                        "effective_date": "2025-01-01", "source": "test"}],
        "hardware_costs": [{"item": "test-gpu", "usd_capex": "240000", "gpus_per_unit": "8", "scope": "server",
                            "effective_date": "2025-01-01", "source": "test"}],
        "energy": [{"usd_per_kwh": "0.1", "region": "X", "pue": "1.2", "grid_kgco2_per_kwh": "0.4",
                    "effective_date": "2025-01-01", "source": "test"}],
        "colocation": [{"usd_per_kw_month": "150", "effective_date": "2025-01-01", "source": "test"}],
    }
    return PriceBook.from_sheets(sheets, table="t", stale_after_days=10**7)


class _Req:
    usd_per_gpu_hour = capex_usd_per_gpu = usd_per_kwh = pue = grid_kg_co2_per_kwh = None


def test_prices_come_with_their_own_notes_and_do_not_touch_the_callers():
    prices = cost.prices_for(_book(), GPU, None, _Req())
    assert prices.rent == Band(2.0, 3.0, 4.0)  # min / median / max of the two rent rows
    assert prices.purchase == Band.point(30000.0)  # 240,000 $ / 8 GPUs
    assert [a.name for a in prices.assumptions] == [
        "rent_usd_per_gpu_hour", "capex_usd_per_gpu", "electricity_usd_per_kwh", "hosting_usd_per_kw_month",
        "capex_life_years", "pue", "grid_kg_co2_per_kwh"]
    assert "Only one purchase (Test GPU) price in pricing table t: low = mid = high." in prices.warnings


def test_training_cost_hand_computed():
    prices = cost.prices_for(_book(), GPU, None, _Req())
    section = cost.training_cost(GPU, Band.point(1000.0), Band.point(1.5), prices)
    assert section.rent_usd == Band(2000.0, 3000.0, 4000.0)
    # own, mid: capex over 5 years 684.46 + 1,500 kWh x 0.1 + 150 $/kW-month x 1.275 kW x 1,000 h / 730.5 h
    assert section.own_usd.mid == pytest.approx(30000 * 1000 / (5 * 8766) + 150 + 150 * 1.275 * 1000 / 730.5)


def test_serving_cost_splits_the_fleet_hour_by_prefill_share():
    # 4 GPUs rented at 3 $/h = 12 $/h; 1 request/s of 1,000 in + 100 out tokens = 3.6M in, 0.36M out per hour;
    # prefill takes 25 % of replica time: input 3 $/3.6M = 0.8333 $/M, output 9 $/0.36M = 25 $/M.
    prices = cost.prices_for(_book(), GPU, None, _Req())
    section = cost.serving_cost(GPU, Band.point(4.0), Band.point(0.25), Band.point(1.0), 1000, 100,
                                Band.point(5.0), prices)
    assert section.rent_input.mid == pytest.approx(3 / 3.6)
    assert section.rent_output.mid == pytest.approx(25.0)


def _rent(value: str, date: str, provider: str = "P") -> dict[str, str]:
    return {"gpu": "test-gpu", "usd_per_gpu_hour": value, "provider": provider, "pricing_model": "on_demand",
            "effective_date": date, "source": "test"}


def test_a_quote_ranges_over_the_current_points_only():
    # Rent points 2023-01-01 (12.0, history), 2024-07-01 (2.0), 2025-12-31 (4.0, newest) and 2025-06-01 (3.0).
    # The newest is 2025-12-31; 548 days before it is 2024-07-01, so 2024-07-01 still counts and 2023-01-01
    # does not: low / mid / high = 2.0 / 3.0 / 4.0 (with the 2023 row: 2.0 / 3.5 / 12.0).
    book = PriceBook.from_sheets({"gpu_prices": [_rent("12.0", "2023-01-01", "Old"), _rent("2.0", "2024-07-01"),
                                                 _rent("4.0", "2025-12-31"), _rent("3.0", "2025-06-01")]},
                                 table="t", stale_after_days=10**7)
    q = cost.quote(book, "rent", GPU)
    assert q.band == Band(2.0, 3.0, 4.0)
    assert [p.value for p in q.points] == [2.0, 4.0, 3.0]
    assert q.source == ("P (2024-07-01): 2; P (2025-12-31): 4; P (2025-06-01): 3 [usd_per_gpu_hour; low/mid/high = "
                        "min/median/max]; history, not counted (more than 548 days before the newest): 1 point, "
                        "2023-01-01")
    assert q.warnings == ()


def test_history_leaving_one_point_warns_of_the_one_price_and_staleness_reads_the_newest():
    import datetime as dt

    book = PriceBook.from_sheets({"gpu_prices": [_rent("9.0", "2022-01-01"), _rent("8.0", "2022-06-01"),
                                                 _rent("2.5", "2025-01-01")]}, table="t")
    q = cost.quote(book, "rent", GPU, today=dt.date(2026, 12, 6))
    assert q.band == Band.point(2.5)
    assert q.warnings == ("The newest rent (Test GPU) price is from 2025-01-01, more than 548 days old.",
                          "Only one rent (Test GPU) price in pricing table t: low = mid = high.")
    assert q.source.endswith("history, not counted (more than 548 days before the newest): 2 points, "
                             "2022-01-01 to 2022-06-01")


def test_facility_figures_and_extrapolation_follow_the_same_rule():
    other = Hardware(id="other-gpu", name="Other GPU", architecture="hopper", bf16_dense_tflops=500.0, hbm_gb=80.0,
                     hbm_bandwidth_tb_per_s=3.0, tdp_w=700.0, gpus_per_node=8, source="test", as_of="2025-01-01",
                     node_max_power_kw=10.2)

    class _Catalog:
        hardware = {"other-gpu": other, "test-gpu": GPU}

    energy = [{"usd_per_kwh": "0.3", "region": "X", "pue": "2.0", "effective_date": "2020-01-01", "source": "old"},
              {"usd_per_kwh": "0.1", "region": "X", "pue": "1.2", "effective_date": "2025-01-01", "source": "new"}]
    rents = [dict(_rent("40.0", "2020-01-01"), gpu="other-gpu"), dict(_rent("1.0", "2025-01-01"), gpu="other-gpu")]
    book = PriceBook.from_sheets({"energy": energy, "gpu_prices": rents}, table="t", stale_after_days=10**7)
    class _Bought(_Req):
        capex_usd_per_gpu = 30000.0

    prices = cost.prices_for(book, GPU, _Catalog(), _Bought())  # type: ignore[arg-type]
    assert prices.electricity == Band.point(0.1)
    assert prices.pue == Band.point(1.2)
    # test-gpu has no rent: the other GPU's current 1.0 $/h over 500 TFLOP/s, x 1,000 TFLOP/s = 2.0 (not 2 / 41 / 80)
    assert prices.rent == Band.point(2.0)


@pytest.mark.parametrize("gpu", ["h100-sxm", "h200-sxm", "b200", "gb200"])
def test_the_seed_book_has_current_prices_for_the_gpus_people_build_with(gpu):
    """What a default estimate reads (rent and purchase of the GPU, electricity, hosting) on the
    day of the issue 14 refresh, 2026-12-06: no staleness warning (a newest point within 548 days)."""
    import datetime as dt

    from estimator.catalog import load_catalog

    catalog, book = load_catalog(), cost.load_price_book()
    hw = catalog.get_hardware(gpu)
    warnings = [w for kind in ("rent", "purchase", "electricity", "hosting")
                for w in cost.quote(book, kind, hw, catalog, today=dt.date(2026, 12, 6)).warnings]
    assert [w for w in warnings if "days old" in w] == []


def _energy(region: str, value: str, date: str, market: str | None = None, pue: str = "") -> dict[str, str]:
    row = {"region": region, "usd_per_kwh": value, "pue": pue, "effective_date": date, "source": "test"}
    return row if market is None else {**row, "market": market}


class _Market(_Req):
    usd_per_gpu_hour, capex_usd_per_gpu = 2.0, 30000.0  # the energy sheet alone comes from the book

    def __init__(self, market: str | None) -> None:
        self.electricity_market = market


def test_electricity_is_priced_in_one_market_default_united_states():
    # US 0.066 / 0.09 (Texas counted in the US market), EU 0.21 with its own PUE: the default reads the US rows.
    book = PriceBook.from_sheets({"energy": [
        _energy("Texas", "0.066", "2025-01-01", "United States"), _energy("United States", "0.09", "2025-06-01", ""),
        _energy("European Union", "0.21", "2025-06-30", "European Union", pue="1.3")]}, table="t",
        stale_after_days=10**7)
    assert book.markets() == ("European Union", "United States")
    us = cost.prices_for(book, GPU, None, _Market(None))
    assert us.electricity == Band(0.066, 0.078, 0.09)
    assert us.pue == Band(1.08, 1.2, 1.58)  # no US row gives a PUE: the sourced default band
    source = next(a.source for a in us.assumptions if a.name == "electricity_usd_per_kwh")
    assert source == ("pricing table t: market United States: Texas (2025-01-01): 0.066; United States (2025-06-01): "
                      "0.09 [usd_per_kwh; low/mid/high = min/median/max]")
    eu = cost.prices_for(book, GPU, None, _Market("european  UNION"))  # any case and spacing
    assert eu.electricity == Band.point(0.21) and eu.pue == Band.point(1.3)
    assert "Only one electricity price in pricing table t: low = mid = high." in eu.warnings
    assert [p.market for p in eu.used if p.kind in cost.ENERGY_KINDS] == ["European Union", "European Union"]
    assert cost.prices_for(book, GPU, None, _Market(None)) is us  # kept by market, as the quotes are


def test_market_names_compare_as_the_request_does_whatever_their_case_in_the_table():
    # Rows spelt 'united states' and 'United States ' are one market, listed once as first spelt, and the
    # default reads both (before: two markets, and a table spelling it in lower case lost the default).
    book = PriceBook.from_sheets({"energy": [
        _energy("Texas", "0.066", "2025-01-01", "united states"), _energy("Ohio", "0.08", "2025-01-01", "United States "),
        _energy("European Union", "0.21", "2025-06-30", "European Union")]}, table="t", stale_after_days=10**7)
    assert book.markets() == ("European Union", "united states")
    assert cost.electricity_market(book, None) == "united states"
    assert cost.prices_for(book, GPU, None, _Market(None)).electricity == Band(0.066, (0.066 + 0.08) / 2, 0.08)
    assert cost.prices_for(book, GPU, None, _Market("UNITED STATES")).electricity == Band(
        0.066, (0.066 + 0.08) / 2, 0.08)


def test_a_book_without_the_market_column_still_works():
    # A table stored before the column: each row's market is its region, so the default reads the
    # 'United States' row alone; a table without US rows reads every row.
    rows = [_energy("United States", "0.0806", "2024-03-18"), _energy("Texas", "0.066", "2024-10-01")]
    book = PriceBook.from_sheets({"energy": rows}, table="t", stale_after_days=10**7)
    assert book.markets() == ("Texas", "United States")
    assert cost.prices_for(book, GPU, None, _Market(None)).electricity == Band.point(0.0806)
    assert cost.prices_for(book, GPU, None, _Market("texas")).electricity == Band.point(0.066)
    nordic = PriceBook.from_sheets({"energy": [_energy("Norway", "0.05", "2025-01-01"),
                                               _energy("Sweden", "0.07", "2025-01-01")]}, table="n",
                                   stale_after_days=10**7)
    everywhere = cost.prices_for(nordic, GPU, None, _Market(None))
    assert everywhere.electricity == Band(0.05, (0.05 + 0.07) / 2, 0.07)
    assert next(a.source for a in everywhere.assumptions if a.name == "electricity_usd_per_kwh").startswith(
        "pricing table n: market any (every energy row): Norway (2025-01-01): 0.05; Sweden")


def test_an_unknown_market_names_the_markets_the_table_has():
    from estimator.errors import UnknownMarketError

    with pytest.raises(UnknownMarketError) as caught:
        cost.prices_for(_book(), GPU, None, _Market("Mars"))
    assert caught.value.to_dict() == {
        "code": "unknown_market", "field": "electricity_market", "given": "Mars", "markets": ["X"],
        "detail": "Pricing table t has no electricity market 'Mars': its energy rows are for X. Give one of those "
                  "as 'electricity_market', or leave it out (for every row)."}
