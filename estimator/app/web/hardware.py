"""The hardware comparison page (``/compare/hardware``): one model on several GPUs, ranked.

It shows ``compare_hardware``'s result as it is: the ranking by the chosen figure (low / mid /
high and the multiple of the baseline's mid), every headline figure's mid per GPU, the ratios,
the GPUs that cannot run and why, ranked bar charts with low–high whiskers (``charts.py``), and
each GPU's own estimate through the single-estimate presenters (``present.py``), its figures'
paths under ``rows.<i>.estimate.``. The downloads (``export.py``) hold every figure the page shows.

Each number cell keeps its path in the result (``data-key``, ``rows.0.figures.gpus.mid``), as on
the other pages. Labels and units come from ``compare_hardware.HEADLINES``, which reads them from
the figures' declarations (``estimator/figures.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from estimator.compare_hardware import HEADLINES, Headline, headline

from . import export
from .charts import Bar, Chart
from .present import (
    SCENARIOS,
    Cell,
    ModelSection,
    Row,
    Table,
    assumptions_table,
    figure,
    fmt,
    inference_tables,
    prices_table,
    rekeyed,
    training_tables,
)
from .summary import power_unit

#: The charts besides the ranking, per workload: other headline figures, in the ranking's order.
CHARTS = {
    "inference": ("cost_usd_per_million_output_tokens_rent", "gpus", "provisioned_power_kw", "joules_per_token"),
    "training": ("cost_usd_own", "gpu_hours", "wall_clock_days", "power_kw", "energy_mwh"),
}


def entry_name(row: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A row's GPU as a reader knows it, with its precision: ``NVIDIA B200 180GB (HGX B200), fp4``."""
    hardware = str(row.get("hardware", ""))
    return f"{names.get(hardware, hardware)}, {row.get('precision')}"


def _ran(result: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    return [(i, r) for i, r in enumerate(result.get("rows", ())) if isinstance(r, Mapping) and r.get("rank")]


def _rank_headline(result: Mapping[str, Any]) -> Headline:
    found = headline(str(result.get("workload")), str(result.get("rank_by")))
    assert found is not None  # the core checked rank_by
    return found


def _band(value: Any) -> dict[str, Any]:
    """A band as it is; a single value as low = mid = high."""
    return dict(value) if isinstance(value, Mapping) else dict.fromkeys(SCENARIOS, value)


def ranking_table(result: Mapping[str, Any], names: Mapping[str, str]) -> Table | None:
    """The ranked GPUs: the ranking figure's low / mid / high and its multiple of the baseline's mid."""
    rank = _rank_headline(result)
    rows = []
    for i, row in _ran(result):
        key = f"rows.{i}.figures.{rank.name}"
        value = row["figures"][rank.name]
        band = _band(value)
        cells = [figure(band[s], f"{key}.{s}" if isinstance(value, Mapping) else key) for s in SCENARIOS]
        ratio = row.get("ratios", {}).get(rank.name)
        cells.append(Cell(f"{fmt(ratio)}×" if ratio is not None else "–", ratio, f"rows.{i}.ratios.{rank.name}"))
        rows.append(Row(f"{row['rank']}. {entry_name(row, names)}", tuple(cells)))
    if not rows:
        return None
    baseline = next((r for _, r in _ran(result) if r["entry"] == result.get("baseline")), {})
    return Table(f"Ranked by {rank.heading}, lowest mid first", ("GPU", "Low", "Mid", "High", "× baseline"),
                 tuple(rows), f"The baseline is {entry_name(baseline, names)}. A GPU whose low, mid and high are all "
                 "higher than another's never ranks above it.", rank.unit or rank.figure.unit)


def _per_gpu_table(result: Mapping[str, Any], names: Mapping[str, str], key: str, caption: str) -> Table | None:
    """One row per GPU that ran, one column per headline figure: its mid (``figures``) or its ratio."""
    ran = _ran(result)
    shown = [h for h in HEADLINES[str(result.get("workload"))] if any(h.name in r.get(key, {}) for _, r in ran)]
    rows = []
    for i, row in ran:
        cells = []
        for h in shown:
            value = row.get(key, {}).get(h.name)
            path = f"rows.{i}.{key}.{h.name}" + (".mid" if isinstance(value, Mapping) else "")
            mid = value["mid"] if isinstance(value, Mapping) else value
            text = "–" if mid is None else f"{fmt(mid)}×" if key == "ratios" else fmt(mid)
            cells.append(Cell(text, mid, path if mid is not None else None))
        rows.append(Row(entry_name(row, names), tuple(cells)))
    head = ("GPU", *(h.heading if key == "figures" else (h.label or h.figure.label) for h in shown))
    return Table(caption, head, tuple(rows)) if rows else None


def hardware_tables(result: Mapping[str, Any], names: Mapping[str, str]) -> list[Table]:
    baseline = next((r for _, r in _ran(result) if r["entry"] == result.get("baseline")), {})
    tables = [
        ranking_table(result, names),
        _per_gpu_table(result, names, "figures", "Headline figures per GPU (mid estimates), in rank order"),
        _per_gpu_table(result, names, "ratios", f"Ratio to the baseline, {entry_name(baseline, names)} (mid / mid)"),
    ]
    return [t for t in tables if t is not None]


def hardware_errors(result: Mapping[str, Any], names: Mapping[str, str]) -> list[tuple[str, str]]:
    """(GPU, message) for each entry that cannot run the workload."""
    return [(entry_name(r, names), str(r["error"].get("detail", ""))) for r in result.get("rows", ())
            if isinstance(r, Mapping) and "error" in r]


def hardware_warnings(result: Mapping[str, Any], names: Mapping[str, str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The warnings every GPU that ran shares, once, then each GPU's own."""
    ran = [r for _, r in _ran(result)]
    lists = [[str(w) for w in r["estimate"].get("warnings", ())] for r in ran]
    common = [w for w in lists[0] if all(w in other for other in lists[1:])] if lists else []
    own = [(entry_name(r, names), rest) for r, ws in zip(ran, lists, strict=True) if (rest := [w for w in ws if w not in common])]
    return common, own


def hardware_sections(result: Mapping[str, Any], names: Mapping[str, str]) -> list[ModelSection]:
    """Each GPU that ran as its single estimate is shown: figures under ``rows.<i>.estimate.``."""
    out = []
    for i, row in _ran(result):
        estimate, name, prefix = row["estimate"], entry_name(row, names), f"rows.{i}.estimate."
        tables = training_tables(estimate) if result.get("workload") == "training" else inference_tables(estimate)
        prices = prices_table(estimate)
        assumptions = assumptions_table(estimate["assumptions"]) if estimate.get("assumptions") else None
        out.append(ModelSection(
            i, str(row["entry"]), name, row["entry"] == result.get("baseline"),
            tuple(rekeyed(t, prefix, name) for t in tables),
            rekeyed(prices, prefix, name) if prices else None,
            rekeyed(assumptions, prefix, name) if assumptions else None,
        ))
    return out


def headline_text(result: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One sentence: which GPU ranks first, by what, and how many could run."""
    rank, ran = _rank_headline(result), _ran(result)
    rows = result.get("rows", ())
    first = ran[0][1]
    band = _band(first["figures"][rank.name])
    model = str(result.get("model"))
    return (f"{entry_name(first, names)} ranks first for {names.get(model, model)}: {fmt(band['mid'])} "
            f"{rank.unit or rank.figure.unit} ({rank.label or rank.figure.label}, mid estimate; "
            f"{fmt(band['low'])} to {fmt(band['high'])}). {len(ran)} of {len(rows)} GPU entries can run this workload.")


# --- Charts: ranked bars with low–high whiskers ------------------------------------------------------------
def _chart(result: Mapping[str, Any], names: Mapping[str, str], h: Headline, note: str = "") -> Chart:
    """One figure per GPU in the ranking's order (the GPUs that cannot run last, without a bar);
    power in MW from 1,000 kW up, like the other pages; the baseline's bar marked."""
    rows = [r for r in result.get("rows", ()) if isinstance(r, Mapping)]
    unit = h.unit or h.figure.unit
    factor = 1.0
    if unit == "kW":
        highest = max((_band(r["figures"][h.name])["high"] for r in rows if h.name in r.get("figures", {})), default=0.0)
        unit, factor = power_unit(highest)
    bars = []
    for r in rows:
        label = f"{r['rank']}. {entry_name(r, names)}" if r.get("rank") else entry_name(r, names)
        value = r.get("figures", {}).get(h.name)
        if value is None:
            bars.append(Bar(label, None, missing="cannot run" if "error" in r else "no estimate"))
            continue
        band = _band(value)
        bars.append(Bar(label, band["mid"] * factor, band["low"] * factor, band["high"] * factor,
                        highlight=r.get("entry") == result.get("baseline")))
    return Chart(h.label or h.figure.label, unit, tuple(bars), note)


def hardware_charts(result: Mapping[str, Any], names: Mapping[str, str]) -> list[Chart]:
    workload = str(result.get("workload"))
    rank = _rank_headline(result)
    charts = [_chart(result, names, rank, "Ranked: lowest mid first; whiskers span low to high; the baseline's bar "
                     "is outlined.")]
    for name in CHARTS.get(workload, ()):
        h = headline(workload, name)
        if h is not None and h.name != rank.name:
            charts.append(_chart(result, names, h))
    return charts


# --- Download ------------------------------------------------------------------------------------------
def hardware_records(result: Mapping[str, Any], tables: Sequence[Table], sections: Sequence[ModelSection],
                     names: Mapping[str, str]) -> list[export.Record]:
    """The page's figures as the download's lines: the ranking and per-GPU tables, each GPU's own
    estimate (tables, prices, assumptions), the GPUs that cannot run, and the warnings."""
    rows = result.get("rows") or []
    out = export.table_records(tables)
    for section in sections:
        estimate = rows[section.row]["estimate"]
        prefix = f"rows.{section.row}.estimate."
        out += export.table_records(section.tables)
        out += export.price_records(estimate, section.name, prefix)
        out += export.assumption_records(estimate.get("assumptions", ()), section.name, prefix)
    out += export.note_records("GPUs that cannot run this workload", hardware_errors(result, names))
    common, own = hardware_warnings(result, names)
    out += export.note_records("Warnings", [("All GPUs", w) for w in common])
    out += export.note_records("Warnings", [(gpu, w) for gpu, ws in own for w in ws])
    return out
