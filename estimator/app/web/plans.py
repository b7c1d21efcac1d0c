"""The planning pages: capacity (what a budget or a power envelope buys and produces), rent versus
buy, demand after an efficiency gain, sensitivity, and the article preset.

Registered on the web blueprint like the pricing pages (``register(bp)``). Each page is a GET form
(its address is the result's permalink; a query with empty fields is redirected to its canonical
form), loaded through the planning API's request schemas (``app/plan_schemas.py``) and run by the
same functions (``app/plan_run.py``), so a page shows the numbers the API returns. Errors are shown
next to their fields with status 422. A result has tables read from the planning figures'
declaration, server-drawn SVG charts (capex breakdown, rent versus buy with the crossing marked,
demand over the elasticity, tornado), the prices and assumptions with their sources, and
``?format=csv`` / ``?format=xlsx`` downloads (``export.py``).

Blank means default, as on the estimate forms (``forms.py``): a first visit fills in choices only (the
GPU, the figure to explain), each number field shows what leaving it empty means as its placeholder
and in its hint (the sourced defaults are read from ``seeds/planning/defaults.csv``, so they cannot
drift from what the core uses), and worked examples (``PageSpec.examples``, ``forms.Example``) are
one-click links.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from markupsafe import Markup
from marshmallow import Schema, ValidationError
from werkzeug.wrappers import Response as BaseResponse

from estimator.errors import EstimatorError
from estimator.figures import BAND, Figure
from estimator.planning import figures as pf
from estimator.planning.sensitivity import METRICS
from estimator.planning.structure import load_defaults

from .. import plan_run
from ..errors import ProblemError, problem_from_core, problem_from_messages
from ..plan_schemas import CapacityRequestSchema, DemandRequestSchema, RentVsBuyRequestSchema, SensitivityRequestSchema
from ..state import Ready, ready_state
from . import export, plan_sensitivity, present
from .charts import Bar, Chart, charts_html
from .forms import Example, FormField, Option, number_from_text
from .plan_charts import Marker, Series, line_chart, tornado_chart

FORMATS = ("csv", "xlsx")
Page = BaseResponse | tuple[str, int]


@dataclass(frozen=True)
class Spec:
    """One form field: its query name, label, hint, widget, what leaving it empty means (``placeholder``,
    as ``forms.PLACEHOLDERS``) and where its value goes in the request."""

    name: str
    label: str
    hint: str
    widget: str = "number"  # number, text, list (comma-separated), select
    integer: bool = False
    path: tuple[str, ...] = ()  # where in the request body (default: (name,))
    options: str = ""  # "hardware", "hardware_optional", "pricing_table", "electricity_market", "metric"
    placeholder: str = ""


def _typed(value: float) -> str:
    """A number as one would type it in a field: 6613, 0.05, 11.7e6."""
    if abs(value) >= 1e6:
        power = 3 * (math.floor(math.log10(abs(value))) // 3)
        return f"{value / 10**power:g}e{power}"
    return f"{value:g}"


def _seeded(name: str, *, scale: float = 1.0, prefix: str = "", suffix: str = "", typed: bool = False) -> str:
    """A sourced default of ``seeds/planning/defaults.csv`` as low / mid / high (what an empty field means):
    as one types it (``typed``, for placeholders) or for reading (hints)."""
    band = load_defaults()[name].band
    values = (band.low, band.mid, band.high)
    texts = (_typed(v) for v in values) if typed else (f"{prefix}{present.fmt(v / scale)}{suffix}" for v in values)
    return " / ".join(dict.fromkeys(texts))


def _site() -> tuple[Spec, ...]:
    return (
        Spec("utilisation", "Utilisation", "Share of GPU-hours doing work, 0-1 (low / mid / high cost). Default: "
             f"{_seeded('utilisation')}.", placeholder=_seeded("utilisation", typed=True)),
        Spec("network_usd_per_gpu", "Network per GPU (USD)", "Scale-out fabric per GPU. Default: "
             f"{_seeded('network_usd_per_gpu', prefix='$')} (2- or 3-tier InfiniBand).",
             placeholder=_seeded("network_usd_per_gpu", typed=True)),
        Spec("storage_share", "Storage share of the server bill", "0-1. Default: "
             f"{_seeded('storage_share_of_servers')}.", placeholder=_seeded("storage_share_of_servers", typed=True)),
        Spec("building_usd_per_mw", "Building and power plant per MW (USD)", "Per MW of critical IT load. Default: "
             f"{_seeded('building_usd_per_mw', scale=1e6, prefix='$', suffix='M')} (Cushman & Wakefield 2025).",
             placeholder=_seeded("building_usd_per_mw", typed=True)),
        Spec("pue", "PUE", "Facility / IT power, at least 1. Default: the pricing table's range.",
             placeholder="pricing table"),
        Spec("usd_per_kwh", "Electricity (USD per kWh)", "Default: the pricing table's.", placeholder="pricing table"),
        Spec("electricity_market", "Electricity market (where you build)", "Electricity, PUE and grid figures from "
             "the pricing table's rows of this market.", "select", options="electricity_market"),
        Spec("capex_usd_per_gpu", "GPU price per GPU (USD)", "Default: the pricing table's (its scope: server, rack).",
             placeholder="pricing table"),
        Spec("pricing_table", "Pricing table", "Prices from this table.", "select", options="pricing_table"),
    )


_SITE = _site()
_SIZE = (
    Spec("hardware", "GPU", "A catalog GPU: air-cooled 8-GPU servers or liquid-cooled NVL72 racks.", "select",
         options="hardware"),
    Spec("budget_usd", "Budget (USD)", "Capex, e.g. 60e9. Give this or the power.", placeholder="e.g. 60e9"),
    Spec("power_mw", "Facility power (MW)", "IT × PUE, e.g. 1000. Give this or the budget.", placeholder="e.g. 1000"),
)
#: A mix of GPUs instead of the one above (the capacity page only): ids with shares adding up to 1.
_MIX = Spec("hardware_mix", "Or a mix of GPUs", "Instead of the GPU above: ids each with its share of the budget or "
            "the power after a colon, comma-separated; the shares add up to 1. Empty: the GPU above alone.", "text",
            path=("hardware",), placeholder="none, e.g. h100-sxm:0.5, gb200:0.5")


@dataclass(frozen=True)
class PageSpec:
    title: str
    intro: str
    submit: str
    schema: type[Schema]
    fields: tuple[Spec, ...]
    #: What a first visit shows: choices only (blank means default, as the estimate forms).
    defaults: dict[str, str]
    #: One-click worked examples (``forms.Example``) that fill in every value.
    examples: tuple[Example, ...] = ()


_PLAN_60B = {"hardware": "h100-sxm", "budget_usd": "60e9", "train": "deepseek-v3, llama-3.1-405b",
             "serve": "llama-3.1-405b"}
PAGES: dict[str, PageSpec] = {
    "capacity": PageSpec(
        "Plan a datacenter", "What a capex budget or a facility power envelope buys (GPUs, racks, megawatts, "
        "energy, capex by category, annual cost) and what it produces in a year.", "Plan", CapacityRequestSchema,
        (*_SIZE, _MIX, Spec("train", "Training runs of", "Model ids, comma-separated: runs a year on the fleet. Empty: "
                      "none counted.", "list", placeholder="none, e.g. deepseek-v3"),
         Spec("serve", "Serve", "Model ids, comma-separated: output tokens a day (fp8, no latency target). Empty: "
              "none counted.", "list", placeholder="none, e.g. llama-3.1-405b"),
         *_SITE),
        {"hardware": "h100-sxm"},
        (Example("$60B on H100", "Meta's 2025 capex on H100 servers: DeepSeek-V3 and Llama 3.1 405B runs a year, "
                 "405B served", _PLAN_60B),
         Example("1 GW of GB200 NVL72", "a gigawatt site of liquid-cooled NVL72 racks",
                 {"hardware": "gb200", "power_mw": "1000", "train": "llama-3.1-405b"}),
         Example("$60B on a mix", "half on H100 servers, half on GB200 NVL72 racks",
                 {"hardware": "h100-sxm", "hardware_mix": "h100-sxm:0.5, gb200:0.5", "budget_usd": "60e9",
                  "train": "llama-3.1-405b"}))),
    "rent-vs-buy": PageSpec(
        "Rent or buy", "The cumulative cost of renting a fleet and of buying it, month by month, at a cost of "
        "capital: when buying pays back, and above which utilisation.", "Compare", RentVsBuyRequestSchema,
        (_SIZE[0], Spec("gpus", "GPUs", "GPUs to rent or buy, e.g. 1,024.", integer=True, placeholder="e.g. 1024"),
         Spec("horizon_months", "Horizon (months)", "1-240. Default 60.", integer=True, placeholder="60"),
         Spec("cost_of_capital", "Cost of capital", f"Annual, 0-1. Default: {_seeded('cost_of_capital')} "
              "(a data-centre owner's WACC).", placeholder=_seeded("cost_of_capital", typed=True)),
         Spec("usd_per_gpu_hour", "Rental price (USD per GPU-hour)", "Default: the pricing table's.",
              placeholder="pricing table"), *_SITE),
        {"hardware": "h100-sxm"},
        (Example("1,024 H100 for 5 years", "at the sourced utilisation and cost of capital",
                 {"hardware": "h100-sxm", "gpus": "1024", "horizon_months": "60"}),
         Example("72 GB200 for 3 years", "one NVL72 rack, busy 70 % of the time",
                 {"hardware": "gb200", "gpus": "72", "horizon_months": "36", "utilisation": "0.7"}))),
    "demand": PageSpec(
        "Efficiency and demand", "If models need less compute per answer, does demand for GPUs fall or rise? "
        "Demand for compute relative to today = gain^(elasticity - 1) (constant-elasticity demand; Jevons).", "Show",
        DemandRequestSchema,
        (Spec("efficiency_gain", "Efficiency gain (×)", "Output per unit of compute, after / before, e.g. 10.",
              placeholder="e.g. 10"),
         Spec("elasticities", "Elasticities", "Numbers 0-5, comma-separated. Default: "
              f"{_seeded('elasticity').replace(' / ', ', ')} (sourced).", "list",
              placeholder=_seeded("elasticity", typed=True).replace(" / ", ", ")),
         Spec("fleet_hardware", "Today's fleet: GPU", "Optional: scale a fleet's GPUs, MW and spend.", "select",
              path=("fleet", "hardware"), options="hardware_optional"),
         Spec("fleet_budget_usd", "Today's fleet: budget (USD)", "e.g. 60e9. Empty: no fleet.",
              path=("fleet", "budget_usd"), placeholder="none, e.g. 60e9")),
        {},
        (Example("10× on a $60B H100 fleet", "the sourced low / mid / high elasticities",
                 {"efficiency_gain": "10", "fleet_hardware": "h100-sxm", "fleet_budget_usd": "60e9"}),
         Example("10× at elasticity 1", "demand for compute unchanged (the Jevons boundary)",
                 {"efficiency_gain": "10", "elasticities": "1"}))),
    "sensitivity": PageSpec(
        "What matters most", "Each uncertain input of a plan moved from its low to its high value (tornado), and "
        "variance-based Sobol indices over the same inputs (SALib).", "Analyse", SensitivityRequestSchema,
        (*_SIZE, Spec("metric", "Figure to explain", "", "select", options="metric"),
         Spec("samples", "Sobol base samples", "A power of 2, 64-8192. Default 256.", integer=True, placeholder="256"),
         *_SITE),
        {"hardware": "h100-sxm", "metric": "own_usd_per_used_gpu_hour"},
        (Example("$60B on H100", "own cost per used GPU-hour",
                 {"hardware": "h100-sxm", "budget_usd": "60e9", "metric": "own_usd_per_used_gpu_hour"}),
         Example("1 GW of GB200 NVL72", "GPUs a gigawatt buys",
                 {"hardware": "gb200", "power_mw": "1000", "metric": "gpus"}))),
}


@dataclass
class PlanForm:
    """The page's fields (``forms.FormField``, so the shared macros draw them) and errors."""

    specs: tuple[Spec, ...]
    fields: dict[str, FormField]
    general_errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.general_errors) or any(f.errors for f in self.fields.values())

    @property
    def summary(self) -> list[tuple[str | None, str]]:
        out: list[tuple[str | None, str]] = [(None, m) for m in self.general_errors]
        return out + [(f.id, f"{f.label}: {m}") for f in self.fields.values() for m in f.errors]

    def query(self) -> list[tuple[str, str]]:
        """The canonical query: non-empty fields in form order."""
        return [(s.name, str(self.fields[s.name].value).strip()) for s in self.specs
                if str(self.fields[s.name].value).strip()]

    def body(self) -> dict[str, Any]:
        """The request body the fields stand for (numbers parsed; lists split)."""
        out: dict[str, Any] = {}
        for s in self.specs:
            text = str(self.fields[s.name].value).strip()
            if not text:
                continue
            value: Any = text
            if s.widget == "number":
                value = number_from_text(text, integer=s.integer)
            elif s is _MIX:
                value = [_share(item) for item in text.split(",") if item.strip()]
            elif s.widget == "list":
                items = [t.strip() for t in text.split(",") if t.strip()]
                value = ([{"model": m, **({"precision": "fp8"} if s.name == "serve" else {})} for m in items]
                         if s.name in ("train", "serve") else [number_from_text(t, integer=False) for t in items])
            node = out
            path = s.path or (s.name,)
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = value
        return out

    def add_problem(self, problem: ProblemError) -> None:
        by_path = {"/" + "/".join(s.path or (s.name,)): s.name for s in self.specs}
        for item in problem.errors or [{"pointer": None, "detail": problem.detail}]:
            pointer = str(item.get("pointer") or "")
            name = next((n for p, n in sorted(by_path.items(), key=lambda kv: -len(kv[0]))
                         if pointer == p or pointer.startswith(p + "/")), "")
            if not name and pointer.startswith("/fleet"):
                name = "fleet_budget_usd"
            detail = str(item["detail"])
            if name in ("hardware", _MIX.name):  # both stand for /hardware: the mix when given
                name = _MIX.name if str(self.fields.get(_MIX.name, FormField("", "", "", "")).value).strip() \
                    else "hardware"
            if name == _MIX.name:
                parts = pointer.split("/")
                if len(parts) == 4:  # /hardware/<i>/<id or share>
                    detail = f"GPU {int(parts[2]) + 1} of the mix, its {parts[3]}: {detail}"
            (self.fields[name].errors if name else self.general_errors).append(detail)


def _share(item: str) -> dict[str, Any]:
    """``gb200:0.5`` -> {"id": "gb200", "share": 0.5}; a missing share is left for the schema to name."""
    hw_id, colon, share = item.partition(":")
    return {"id": hw_id.strip(), **({"share": number_from_text(share, integer=False)} if colon else {})}


def _options(kind: str, ready: Ready, args: Mapping[str, str] | None) -> tuple[Option, ...]:
    if kind in ("hardware", "hardware_optional"):
        none = (Option("", "none"),) if kind == "hardware_optional" else ()
        return none + tuple(Option(h.id, h.name) for h in ready.catalog.hardware.values())
    if kind == "metric":
        return tuple(Option(k, f"{label} ({unit})") for k, (label, unit) in METRICS.items())
    if kind == "pricing_table":
        from . import pricing_table_options  # the estimate pages' list (web/__init__.py imports this module)

        return tuple(pricing_table_options(ready))
    if kind == "electricity_market":
        from . import estimate_choices  # the markets of the table the form names, as the estimate pages list them

        return tuple(estimate_choices(ready, args)["electricity_market"])
    return ()


def _form(spec: PageSpec, ready: Ready, args: Mapping[str, str] | None) -> PlanForm:
    values = spec.defaults if args is None else args
    fields = {s.name: FormField(s.name, s.label, s.hint, "select" if s.widget == "select" else
                                ("text" if s.widget in ("text", "list") else "number"), integer=s.integer,
                                options=_options(s.options, ready, args), value=str(values.get(s.name, "") or ""),
                                placeholder=s.placeholder)
              for s in spec.fields}
    return PlanForm(spec.fields, fields)


def example_links(kind: str, ready: Ready) -> list[tuple[str, str, str]]:
    """(title, what it shows, address) of each worked example of page ``kind``; the capacity page also
    links the article preset."""
    spec = PAGES[kind]
    path = url_for(f"web.plans_{kind.replace('-', '_')}")
    links = [(e.title, e.label, f"{path}?{urlencode(_form(spec, ready, e.values).query())}") for e in spec.examples]
    if kind == "capacity":
        links.append(("The article", "$60B, $500B and $40B on H100, H200 and GB200 NVL72, and a 10× efficiency gain",
                      url_for("web.plans_article")))
    return links


def _url(pairs: Sequence[tuple[str, str]]) -> str:
    path = url_for(request.endpoint or "web.plans")
    return f"{path}?{urlencode(pairs)}" if pairs else path


def _plan_page(kind: str) -> Page:
    ready = ready_state()
    spec = PAGES[kind]
    args = request.args
    submitted = any(s.name in args for s in spec.fields)
    form = _form(spec, ready, args if submitted else None)
    fmt = args.get("format")
    if fmt is not None and (fmt not in FORMATS or not submitted):
        raise ProblemError(400, "Nothing to download here: use csv or xlsx on a result's address.")
    if submitted and sorted(form.query() + ([("format", fmt)] if fmt else [])) != sorted(args.items(multi=True)):
        return redirect(_url(form.query() + ([("format", fmt)] if fmt else [])), 302)
    result: dict[str, Any] | None = None
    body: dict[str, Any] = {}
    if submitted:
        try:
            body = spec.schema().load(form.body())
            result = plan_run.run(kind, ready, body)
        except ValidationError as exc:
            form.add_problem(problem_from_messages(exc.messages))
        except ProblemError as exc:
            form.add_problem(exc)
        except EstimatorError as exc:
            form.add_problem(problem_from_core(exc))
    view = VIEWS[kind](result) if result is not None else View()
    permalink = _url(form.query()) if result is not None else ""
    if result is not None and fmt is not None:
        return _download(kind, fmt, body, result, permalink, view)
    page = render_template("plans.html", kind=kind, page=spec, form=form, result=result, view=view,
                           permalink=permalink, pages=PAGES, examples=example_links(kind, ready),
                           downloads=[(f, f"{permalink}&{urlencode({'format': f})}") for f in FORMATS] if permalink
                           else [])
    return page, 422 if form.has_errors else 200


@dataclass
class View:
    headline: str = ""
    tables: list[present.Table] = field(default_factory=list)
    charts: list[tuple[str, str, Markup]] = field(default_factory=list)  # (title, note, svg)
    bar_charts: list[tuple[Chart, Markup]] = field(default_factory=list)
    prices: present.Table | None = None
    assumptions: present.Table | None = None
    warnings: list[str] = field(default_factory=list)


def _bands(caption: str, result: Mapping[str, Any], figures: Sequence[Figure]) -> present.Table | None:
    return present.band_table(caption, result, [f for f in figures if f.kind == BAND])


def _values(caption: str, result: Mapping[str, Any], figures: Sequence[Figure]) -> present.Table | None:
    return present.value_table(caption, result, [f for f in figures if f.kind != BAND and f.type != "array"
                                                 and f.type != "object"])


def _common(view: View, result: Mapping[str, Any]) -> View:
    view.prices = present.prices_table(result)
    view.assumptions = present.assumptions_table(result.get("assumptions", ()))
    view.warnings = [str(w) for w in result.get("warnings", ())]
    view.tables = [t for t in view.tables if t is not None]
    return view


def _produces(plan: Mapping[str, Any], prefix: str = "") -> list[present.Table]:
    tables = []
    for kind, what in (("training", pf.TRAINING_OUTPUT), ("serving", pf.SERVING_OUTPUT)):
        for item in plan.get("produces", {}).get(kind, []):
            table = _bands(f"{prefix}What it produces: {kind} {item['model']}", item, pf.figures_of(what))
            if table:
                tables.append(table)
    return tables


def _capacity_view(result: Mapping[str, Any]) -> View:
    C = pf.Capacity
    gpus = result["gpus"]["mid"]
    view = View(headline=f"{present.fmt(gpus)} {result['hardware_name']} GPUs (mid; {present.fmt(result['gpus']['low'])}"
                         f" to {present.fmt(result['gpus']['high'])}) in {present.fmt(result['racks']['mid'])} racks, "
                         f"{present.fmt(result['power_mw']['facility']['mid'])} MW of facility power.")
    figures = pf.figures_of(pf.CAPACITY)
    view.tables = [t for t in (_values("The fleet", result, figures), _bands("Every figure", result, figures)) if t]
    view.tables += _produces(result)
    for part in result.get("mix", []):
        name = f"{present.fmt(part['share'] * 100)} % on {part['plan']['hardware_name']}"
        view.tables += [t for t in (_bands(f"{name}: every figure", part["plan"], figures),) if t]
        view.tables += _produces(part["plan"], f"{name}: ")
    bars = tuple(Bar(f.label, result["capex_usd"][f.name]["mid"], result["capex_usd"][f.name]["low"],
                     result["capex_usd"][f.name]["high"])
                 for f in (C.CAPEX_SERVERS, C.CAPEX_NETWORK, C.CAPEX_STORAGE, C.CAPEX_BUILDING))
    view.bar_charts = charts_html([Chart("Capex by category", "USD", bars)], prefix="capex")
    return _common(view, result)


def _rent_vs_buy_view(result: Mapping[str, Any]) -> View:
    view = View(headline=str(result["verdict"]))
    figures = pf.figures_of(pf.RENT_VS_BUY)
    view.tables = [t for t in (_values("The comparison", result, figures), _bands("Every figure", result, figures))
                   if t]
    months = result["by_month"]["month"]
    rent = Series("Renting", tuple(zip(months, result["by_month"]["rent_usd"], strict=True)))
    buy = Series("Buying", tuple(zip(months, result["by_month"]["buy_usd"], strict=True)))
    crossing = result["break_even_month"]["mid"]
    marker = None
    if crossing is not None and crossing <= months[-1]:
        rate_rent = result["by_month"]["rent_usd"]
        at = min(int(crossing), len(rate_rent) - 1)
        marker = Marker(crossing, rate_rent[at], f"break-even: month {present.fmt(crossing)}")
    svg = line_chart("rent-vs-buy", "Cumulative cost, renting and buying (present value, mid)", (rent, buy),
                     "month", "USD", marker)
    view.charts = [("Cumulative cost by month", "Mid estimate, in present value; the circle marks the crossing.",
                    svg)]
    return _common(view, result)


def _demand_view(result: Mapping[str, Any]) -> View:
    view = View(headline=str(result["statement"]))
    figures = pf.figures_of(pf.DEMAND_POINT)
    rows = tuple(present.Row(f.label, tuple(present.figure(f.value(p), f"points.{i}.{f.key}")
                                            if not isinstance(f.value(p), str) else present.Cell(f.value(p))
                                            for i, p in enumerate(result["points"])))
                 for f in figures)
    head = ("Figure", *(f"{p['label']} (ε = {present.fmt(p['elasticity'])})" for p in result["points"]))
    view.tables = [present.Table("Demand at each elasticity", head, rows)]
    curve = Series("Compute demanded (× today)", tuple((c["elasticity"], c["compute_ratio"]) for c in result["curve"]))
    today = Series("Today", ((curve.points[0][0], 1.0), (curve.points[-1][0], 1.0)))
    mid = next((p for p in result["points"] if p["label"] in ("mid", "given")), result["points"][0])
    svg = line_chart("demand-curve", "Demand for compute after the gain, over the elasticity", (curve, today),
                     "price elasticity of demand", "× today",
                     Marker(mid["elasticity"], mid["compute_ratio"], f"ε {present.fmt(mid['elasticity'])}: "
                                                                     f"{present.fmt(mid['compute_ratio'])}×"))
    view.charts = [("Demand for compute over the elasticity", "Above the 'Today' line (ε > 1) demand rises.", svg)]
    fleet = result.get("fleet")
    view.assumptions = present.assumptions_table(result.get("assumptions", ()))
    if fleet:
        view.tables.append(_bands("Today's fleet", fleet, pf.figures_of(pf.CAPACITY)) or view.tables[0])
        view.prices = present.prices_table(fleet)
    return view


def _sensitivity_view(result: Mapping[str, Any]) -> View:
    view = View(headline=f"{result['label']}: {present.fmt(result['output_at_mid'])} with every input at mid; "
                         f"{result['evaluations']} model evaluations.")
    sobol = {s["name"]: s for s in result["sobol"]}
    rows = []
    for i, bar in enumerate(result["tornado"]):
        s = sobol.get(bar["name"], {})
        rows.append(present.Row(bar["name"].replace("_", " "), (
            present.figure(bar["low_input"], f"tornado.{i}.low_input"),
            present.figure(bar["high_input"], f"tornado.{i}.high_input"),
            present.figure(bar["output_at_low"], f"tornado.{i}.output_at_low"),
            present.figure(bar["output_at_high"], f"tornado.{i}.output_at_high"),
            present.figure(bar["swing"], f"tornado.{i}.swing"),
            present.figure(s.get("first_order"), None), present.figure(s.get("total"), None))))
    head = ("Input", "Lowest", "Highest", "Output at lowest", "Output at highest", "Swing", "Sobol S1", "Sobol ST")
    view.tables = [present.Table("Tornado and Sobol indices, largest swing first", head, tuple(rows))]
    svg = tornado_chart("tornado", f"Tornado: {result['label']}", [(b["name"], b["output_at_low"], b["output_at_high"])
                                                                   for b in result["tornado"]],
                        result["output_at_mid"], result["label"])
    view.charts = [("Tornado", "Each bar: the output with that input at its lowest and highest, the others at mid; "
                               "the line: every input at mid.", svg)]
    source = result.get("plan") or result.get("estimate") or {}  # a plan's, or an estimate's (plan_sensitivity.py)
    view.assumptions = present.assumptions_table(source.get("assumptions", ()))
    view.prices = present.prices_table(source)
    return view


VIEWS: dict[str, Callable[[Mapping[str, Any]], View]] = {
    "capacity": _capacity_view, "rent-vs-buy": _rent_vs_buy_view, "demand": _demand_view,
    "sensitivity": _sensitivity_view,
}


def _download(kind: str, fmt: str, body: Mapping[str, Any], result: Mapping[str, Any], permalink: str,
              view: View) -> Response:
    records = export.header_records(request.host_url.rstrip("/") + permalink, body, current_app.config["API_VERSION"])
    records += export.table_records(view.tables)
    source = result.get("plan") or result.get("fleet") or result
    records += export.price_records(source)
    records += export.assumption_records(source.get("assumptions", result.get("assumptions", ())))
    if kind == "rent-vs-buy":
        by = result["by_month"]
        records += [export.Record("Cumulative cost by month (mid, present value)", f"month {m}", column, value, "USD",
                                  key=f"by_month.{key}.{m}")
                    for m in by["month"] for column, key, value in (("Renting", "rent_usd", by["rent_usd"][m]),
                                                                     ("Buying", "buy_usd", by["buy_usd"][m]))]
    records += export.note_records("Warnings", [("", w) for w in view.warnings])
    stem = re.sub(r"[^a-z0-9.-]+", "-", f"plan-{kind}".lower()).strip("-")
    data, mimetype = (export.to_csv(records), "text/csv") if fmt == "csv" else (export.to_xlsx(records),
                                                                                  export.XLSX_MIMETYPE)
    response = current_app.response_class(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def plans_index() -> str:
    return render_template("plans.html", kind="index", pages=PAGES, page=None, form=None, result=None, view=View(),
                           permalink="", downloads=[])


def article() -> tuple[str, int]:
    ready = ready_state()
    result = plan_run.run("article", ready, {})
    rows = []
    for entry in result["plans"]:
        plan = entry["plan"]
        query = urlencode({"hardware": plan["hardware"], "budget_usd": f"{entry['budget_usd']:g}",
                           "train": ", ".join(result["training_models"]), "serve": result["training_models"][0]})
        runs = [present.figure(t["runs_per_year"]["mid"], None) for t in plan["produces"]["training"]]
        tokens = [present.figure(s["output_tokens_per_day"]["mid"], None) for s in plan["produces"]["serving"]]
        rows.append((f"{url_for('web.plans_capacity')}?{query}", present.Row(
            f"{entry['what']}: {plan['hardware_name']}",
            (present.figure(entry["budget_usd"], None), present.figure(plan["gpus"]["mid"], None),
             present.figure(plan["racks"]["mid"], None), present.figure(plan["power_mw"]["facility"]["mid"], None),
             *runs, *tokens, present.Cell(entry["source"], css="source")))))
    models = result["training_models"]
    head = ("Budget on a system", "USD", "GPUs", "Racks", "Facility MW", *(f"{m} runs a year" for m in models),
            *(f"{m} output tokens a day" for m in models), "Source of the budget")
    table = present.Table("What each sum buys and produces (mid estimates)", head, tuple(r for _, r in rows),
                          stack=True)
    demand = _demand_view(result["demand"])
    return render_template("plans.html", kind="article", pages=PAGES, page=None, form=None, result=result,
                           view=View(headline=demand.headline, tables=[table, *demand.tables], charts=demand.charts,
                                     assumptions=demand.assumptions),
                           links=[u for u, _ in rows], permalink=url_for("web.plans_article"), downloads=[]), 200


def _view(kind: str) -> Callable[[], Page]:
    def view() -> Page:
        return _plan_page(kind)

    view.__name__ = f"plans_{kind.replace('-', '_')}"
    return view


def register(bp: Blueprint) -> None:
    """Add the planning pages to the web blueprint (its HTML error pages apply)."""
    bp.add_url_rule("/plans", "plans", plans_index, methods=["GET"])
    bp.add_url_rule("/plans/article", "plans_article", article, methods=["GET"])
    for kind in PAGES:
        bp.add_url_rule(f"/plans/{kind}", f"plans_{kind.replace('-', '_')}", _view(kind), methods=["GET"])
    plan_sensitivity.register(bp)
