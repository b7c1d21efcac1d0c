"""Which GPU for this workload: one model and one workload on several GPUs (and precisions),
ranked by a chosen figure — the other axis of ``compare.py`` (several models on one GPU).

Inputs: the catalog, the price book, the workload ("training" or "inference"), the model (catalog
id or inline architecture), the hardware entries (a list, or ``"all"`` for every catalog GPU),
the shared request values of the workload (as for one estimate, without model and hardware; a
``precision`` there is the precision of every entry that names none), an optional baseline entry
and the figure to rank by.

Output: ``{"workload", "model", "rank_by", "baseline", "rows": [row...]}``, rows in rank order.
A row is ``{"entry", "hardware", "precision", "precision_chosen", "rank", "figures", "ratios",
"latency" (serving), "estimate"}``; ``estimate`` is the ordinary single estimate
(``estimate_training`` / ``estimate_inference(...).to_dict()`` with that GPU and precision) and
``figures`` its headline figures (``HEADLINES``) read from it, so the comparison computes nothing
of its own but the GPU band of a serving fleet (replicas band × GPUs per replica) and the ratios.
A GPU that cannot run the workload (does not fit, no such precision, latency targets out of
reach) keeps a row ``{"entry", "hardware", "precision", "precision_chosen", "rank": null,
"error"}`` — the error in the shape of ``compare.py``'s rows (``EstimatorError.to_dict``).

Entries: ``"<hardware id or alias>"`` or ``"<hardware id or alias>:<precision>"``
(``"h100-sxm:fp8"``): the colon never occurs in a catalog id, so an fp8 and a bf16 row of one GPU
can stand side by side (``["h100-sxm:fp8", "h100-sxm:bf16"]``). An entry's id in the result is
always ``<catalog id>:<precision>``; two entries that come to the same id are an error.

Best supported precision (an entry with no precision, and no ``precision`` in the values): the
lowest-bit precision the GPU has dense tensor cores for, checked the way every estimate checks it
(``Hardware.peak_tflops``, which raises ``UnsupportedPrecisionError``):
- serving: fp4, else fp8, else bf16 (fp4 on Blackwell, fp8 on Hopper and Ada; int4 weight-only is
  a quantisation choice, never made for the user);
- training: fp8, else bf16 (published fp8 pre-training, e.g. DeepSeek-V3; no published fp4
  pre-training run to calibrate against, so fp4 only when asked for).
Fewer bits is not always cheaper (fp4 weights read at about half the HBM bandwidth on Blackwell,
``kernels.py``): list ``"b200:fp8"`` beside ``"b200"`` to see both.

Ranking: by the chosen figure's **mid** estimate, lowest first (every rankable figure is a cost,
an amount of hardware, power, energy or time: less is better); ties by high, then low, then the
order given. So a GPU is never listed as cheaper than another whose low, mid and high are all
lower: its mid is higher, and it ranks after. Rows that cannot run come last, in the order given.

Ratios: each numeric headline figure's mid over the baseline's (None where the baseline's is 0),
to ``figures.RATIO_DIGITS`` significant figures (``figures.ratio``).
The baseline is the given entry (it must run: its error fails the comparison, as in
``compare.py``). By default, for a list, the first entry, in the order given, that runs (the
user's order says what to compare against); for ``"all"``, H100 SXM (``REFERENCE_HARDWARE``:
the GPU most published training runs and serving benchmarks report, so "0.4x H100" reads as the
field reads it) when its row runs, else the first catalog GPU that runs. When no entry runs, the
first one's error is raised, saying that none could.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .catalog import PRECISIONS, Catalog, Hardware
from .cost import PriceBook, electricity_market
from .defaults import SERVING_COMPUTE_PRECISION, SERVING_PRECISIONS
from .errors import (
    ConflictError,
    DoesNotFitError,
    EstimatorError,
    InvalidInputError,
    UnknownIdError,
    UnsupportedPrecisionError,
)
from .figures import BAND, INFERENCE, TRAINING, WORKLOADS, Figure, Serving, Training, ratio
from .inference import estimate_inference
from .inputs import inference_request, training_request
from .training import estimate_training

ALL = "all"
#: Entries one comparison may list (the catalog has 13 GPUs; room for two precisions of most).
MAX_ENTRIES = 24
SEPARATOR = ":"
#: Best supported precision, most preferred first (see the module docstring).
BEST_PRECISIONS = {INFERENCE: ("fp4", "fp8", "bf16"), TRAINING: ("fp8", "bf16")}
GIVEN, BEST = "given", "best"
#: Errors that mean "this GPU cannot run this workload": the row keeps them.
ROW_ERRORS = (DoesNotFitError, UnsupportedPrecisionError, InvalidInputError)
#: The default baseline of ``"all"`` when it runs: the field's reference GPU (module docstring).
REFERENCE_HARDWARE = "h100-sxm"


@dataclass(frozen=True)
class Headline:
    """A headline figure of a hardware comparison, read from each row's estimate: the declared
    ``figure`` (its band, or its value), else ``fallback``; ``times`` multiplies a band by a value
    of the same result (a serving fleet's GPUs = replicas × GPUs per replica)."""

    name: str
    workload: str
    figure: Figure
    label: str = ""
    unit: str = ""
    rank: bool = True
    times: Figure | None = None
    fallback: Figure | None = None

    @property
    def heading(self) -> str:
        unit = self.unit or self.figure.unit
        return f"{self.label or self.figure.label} ({unit})" if unit else self.label or self.figure.label

    def value(self, result: Mapping[str, Any]) -> Any:
        """A band as ``{low, mid, high}``, a single value as a number, or None."""
        band = self.figure.band(result) if self.figure.kind == BAND else None
        if band is not None:
            factor = self.times.value(result) if self.times else 1
            return {s: band[s] * factor for s in ("low", "mid", "high")}
        if self.figure.kind != BAND:
            return self.figure.value(result)
        return self.fallback.value(result) if self.fallback else None


T, S = Training, Serving
#: Per workload, the headline figures of each row, in the order tables show them; the first
#: rankable one after the counts is not the default: ``DEFAULT_RANK`` is.
HEADLINES: dict[str, tuple[Headline, ...]] = {
    INFERENCE: (
        Headline("gpus", INFERENCE, S.REPLICAS_RANGE, "GPUs in the fleet", "GPUs", times=S.GPUS_PER_REPLICA),
        Headline("replicas", INFERENCE, S.REPLICAS_RANGE, "Replicas", "replicas"),
        Headline("gpus_per_replica", INFERENCE, S.GPUS_PER_REPLICA, rank=False),
        Headline("nodes", INFERENCE, S.NODE_COUNT, rank=False),
        Headline("cost_usd_per_million_output_tokens_own", INFERENCE, S.COST_OUTPUT_OWN,
                 "Cost per million output tokens, owning"),
        Headline("cost_usd_per_million_output_tokens_rent", INFERENCE, S.COST_OUTPUT_RENT,
                 "Cost per million output tokens, renting"),
        Headline("provisioned_power_kw", INFERENCE, S.PROVISIONED_FACILITY, "Facility power to supply"),
        Headline("energy_mwh_per_day", INFERENCE, S.ENERGY_PER_DAY),
        Headline("joules_per_token", INFERENCE, S.JOULES_PER_TOKEN),
        Headline("ttft_ms", INFERENCE, S.TTFT_MS, "Time to first token (mid replica)"),
        Headline("tpot_ms", INFERENCE, S.TPOT_MS, "Time per output token, p99 (mid replica)"),
    ),
    TRAINING: (
        Headline("gpus", TRAINING, T.GPUS_FOR_DEADLINE, "GPUs", "GPUs", fallback=T.GPU_COUNT),
        Headline("nodes", TRAINING, T.NODE_COUNT, rank=False),
        Headline("cost_usd_rent", TRAINING, T.RENT, "Cost of the run, renting"),
        Headline("cost_usd_own", TRAINING, T.OWN, "Cost of the run, owning"),
        Headline("gpu_hours", TRAINING, T.GPU_HOURS),
        Headline("wall_clock_days", TRAINING, T.WALL_CLOCK_DAYS),
        Headline("power_kw", TRAINING, T.POWER_FACILITY, "Facility power"),
        Headline("energy_mwh", TRAINING, T.ENERGY),
    ),
}
#: The default ranking: own $ per million output tokens (serving), rent $ for the run (training).
DEFAULT_RANK = {INFERENCE: "cost_usd_per_million_output_tokens_own", TRAINING: "cost_usd_rent"}
RANKABLE = {w: tuple(h.name for h in hs if h.rank) for w, hs in HEADLINES.items()}


def headline(workload: str, name: str) -> Headline | None:
    return next((h for h in HEADLINES.get(workload, ()) if h.name == name), None)


@dataclass(frozen=True)
class Entry:
    """One GPU at one precision, as listed (``index``: its place in the list)."""

    hardware: Hardware
    precision: str
    chosen: str
    index: int

    @property
    def id(self) -> str:
        return f"{self.hardware.id}{SEPARATOR}{self.precision}"


def supports(workload: str, hardware: Hardware, precision: str) -> bool:
    """Whether the GPU has tensor cores for ``precision`` (serving: its compute precision)."""
    compute = SERVING_COMPUTE_PRECISION.get(precision, precision) if workload == INFERENCE else precision
    try:
        hardware.peak_tflops(compute)
    except UnsupportedPrecisionError:
        return False
    return True


def best_precision(workload: str, hardware: Hardware) -> str:
    """The first of ``BEST_PRECISIONS[workload]`` the GPU supports (bf16: every GPU)."""
    return next((p for p in BEST_PRECISIONS[workload] if supports(workload, hardware, p)), "bf16")


def _entry(catalog: Catalog, workload: str, given: Any, index: int, precision: str | None) -> Entry:
    field = f"hardware.{index}"
    if not isinstance(given, str) or not given.strip():
        raise InvalidInputError("Each entry must be a hardware id such as 'h100-sxm', optionally with a precision: "
                                "'h100-sxm:fp8'.", field=field)
    name, sep, suffix = given.strip().partition(SEPARATOR)
    if name.lower() == ALL:
        raise InvalidInputError("'all' stands alone: give \"all\" instead of a list, not inside one.", field=field)
    try:
        hardware = catalog.get_hardware(name)
    except UnknownIdError as exc:
        exc.field = field
        raise
    allowed = SERVING_PRECISIONS if workload == INFERENCE else PRECISIONS
    if sep and suffix.lower() not in allowed:
        raise InvalidInputError(
            f"Unknown precision {suffix[:20]!r} in entry {given[:80]!r}: write '<hardware>:<precision>' with one of "
            f"{', '.join(allowed)} ({workload}), e.g. '{hardware.id}:bf16'.", field=field)
    if sep:
        return Entry(hardware, suffix.lower(), GIVEN, index)
    if precision:
        return Entry(hardware, precision, GIVEN, index)
    return Entry(hardware, best_precision(workload, hardware), BEST, index)


def entries(catalog: Catalog, workload: str, hardware: str | Sequence[Any], precision: str | None = None) -> list[Entry]:
    """The entries of ``hardware`` (a list, or "all"), each checked; raises on an unknown id, a bad
    precision suffix, an empty or too long list, or the same GPU and precision twice."""
    if isinstance(hardware, str):
        if hardware.strip().lower() != ALL:
            raise InvalidInputError(f"'hardware' must be a list of hardware ids or \"{ALL}\", got {hardware[:80]!r}.",
                                    field="hardware")
        return [_entry(catalog, workload, h.id, i, precision) for i, h in enumerate(catalog.hardware.values())]
    if not 1 <= len(hardware) <= MAX_ENTRIES:
        raise InvalidInputError(f"Give 1 to {MAX_ENTRIES} hardware entries, or \"{ALL}\"; got {len(hardware)}.",
                                field="hardware")
    out: list[Entry] = []
    for i, given in enumerate(hardware):
        entry = _entry(catalog, workload, given, i, precision)
        twin = next((e for e in out if e.id == entry.id), None)
        if twin is not None:
            raise InvalidInputError(
                f"Entry {i} ({str(given)[:80]!r}) is {entry.id}, like entry {twin.index}: each GPU and precision may "
                "appear once (give another precision with ':', e.g. ':bf16').", field=f"hardware.{i}")
        out.append(entry)
    return out


def _estimate(catalog: Catalog, book: PriceBook, workload: str, values: Mapping[str, Any], entry: Entry) -> dict[str, Any]:
    """The ordinary single estimate of ``entry``: the one code path every row goes through."""
    request_values = {**values, "hardware": entry.hardware.id, "precision": entry.precision}
    if workload == TRAINING:
        return estimate_training(training_request(catalog, request_values), book, catalog).to_dict()
    return estimate_inference(inference_request(catalog, request_values), book, catalog).to_dict()


def _latency(values: Mapping[str, Any], result: Mapping[str, Any] | None, error: EstimatorError | None) -> dict[str, Any]:
    """Serving: the mid replica's TTFT and p99 TPOT and whether the targets are met; for a row
    that cannot meet them, the binding limit (the core's ``binding``: ttft or tpot)."""
    targets = values.get("ttft_ms") is not None or values.get("tpot_ms") is not None
    if result is not None:
        return {"met": True if targets else None, "binding": None,
                "ttft_ms": S.TTFT_MS.value(result), "tpot_ms": S.TPOT_MS.value(result)}
    binding = error.data.get("binding") if error is not None else None
    return {"met": False if binding else None, "binding": binding, "ttft_ms": None, "tpot_ms": None}


def _row(workload: str, values: Mapping[str, Any], entry: Entry, result: dict[str, Any] | None,
         error: EstimatorError | None) -> dict[str, Any]:
    """A row as the result lists it (``rank`` and ``ratios`` are set when the rows are ranked)."""
    row: dict[str, Any] = {"entry": entry.id, "hardware": entry.hardware.id, "precision": entry.precision,
                           "precision_chosen": entry.chosen, "rank": None}
    if result is not None:
        row["figures"] = {h.name: v for h in HEADLINES[workload] if (v := h.value(result)) is not None}
        row["ratios"] = {}
    if workload == INFERENCE:
        row["latency"] = _latency(values, result, error)
    if result is not None:
        row["estimate"] = result
    else:
        row["error"] = error.to_dict() if error is not None else {}
    return row


def _mid(value: Any) -> float:
    return float(value["mid"] if isinstance(value, Mapping) else value)


def rank_key(value: Any) -> tuple[float, float, float]:
    """Mid, then high, then low (a single value is all three): the ranking's sort key."""
    if isinstance(value, Mapping):
        return float(value["mid"]), float(value["high"]), float(value["low"])
    return float(value), float(value), float(value)


def default_baseline(rows: Sequence[dict[str, Any]], every_gpu: bool) -> str:
    """The baseline when none is given: for ``"all"`` (``every_gpu``) the ``REFERENCE_HARDWARE``
    row if it runs; otherwise (and for a list) the first row, in the order given, that runs."""
    ran = [r for r in rows if "error" not in r]
    reference = next((r for r in ran if every_gpu and r["hardware"] == REFERENCE_HARDWARE), None)
    return str((reference or ran[0])["entry"])


def _baseline(catalog: Catalog, rows: Sequence[dict[str, Any]], errors: Mapping[str, EstimatorError],
              baseline: str | None, every_gpu: bool) -> str:
    """The entry the ratios divide by: the given one (an id, or a GPU listed once), which must run;
    by default ``default_baseline``."""
    if baseline is None:
        return default_baseline(rows, every_gpu)
    name, sep, suffix = baseline.strip().partition(SEPARATOR)
    try:
        hardware_id = catalog.get_hardware(name).id
    except UnknownIdError as exc:
        exc.field = "baseline"
        raise
    matches = [r for r in rows if r["hardware"] == hardware_id and (not sep or r["precision"] == suffix.lower())]
    if len(matches) != 1:
        listed = ", ".join(r["entry"] for r in rows)
        why = "matches several entries: add its precision, e.g. ':fp8'" if matches else "is not one of the entries"
        raise ConflictError(f"The baseline {baseline[:80]!r} {why} ({listed}).", field="baseline")
    row = matches[0]
    if "error" in row:
        failed = errors[row["entry"]]
        raise type(failed)(f"The baseline {row['entry']} cannot run this workload: {failed.message}", field="baseline",
                           **failed.data)
    return str(row["entry"])


def _none_ran(order: Sequence[Entry], errors: Mapping[str, EstimatorError]) -> EstimatorError:
    first = order[0]
    exc = errors[first.id]
    field = f"hardware.{first.index}" if exc.field == "precision" and first.chosen == GIVEN else exc.field
    return type(exc)(f"None of the {len(order)} GPU entries can run this workload; the first, {first.id}: "
                     f"{exc.message}", field=field, **exc.data)


def compare_hardware(
    catalog: Catalog,
    book: PriceBook,
    workload: str,
    model: Any,
    hardware: str | Sequence[Any],
    values: Mapping[str, Any],
    baseline: str | None = None,
    rank_by: str | None = None,
) -> dict[str, Any]:
    """One model and workload on each hardware entry, ranked (rules in the module docstring)."""
    if workload not in WORKLOADS:
        raise InvalidInputError(f"'workload' must be training or inference, got {workload!r}.", field="workload")
    rank_by = rank_by or DEFAULT_RANK[workload]
    if rank_by not in RANKABLE[workload]:
        raise InvalidInputError(f"Cannot rank {workload} by {rank_by[:80]!r}: use one of {', '.join(RANKABLE[workload])}.",
                                field="rank_by")
    listed = entries(catalog, workload, hardware, values.get("precision"))
    electricity_market(book, values.get("electricity_market"))  # one market for every row: refused once, not per GPU
    shared = {k: v for k, v in values.items() if k not in ("hardware", "precision")} | {"model": model}
    rows: list[dict[str, Any]] = []
    errors: dict[str, EstimatorError] = {}
    for entry in listed:
        try:
            result: dict[str, Any] | None = _estimate(catalog, book, workload, shared, entry)
        except ROW_ERRORS as exc:
            # This GPU cannot run this workload (too small, no such precision, targets out of reach):
            # its row says why; an error common to every row surfaces below when none runs.
            errors[entry.id] = exc
            result = None
        rows.append(_row(workload, values, entry, result, errors.get(entry.id)))
    if len(errors) == len(rows):
        raise _none_ran(listed, errors)
    every_gpu = isinstance(hardware, str)  # "all" (anything else was refused by entries())
    base = _baseline(catalog, rows, errors, baseline, every_gpu)
    ordered = rank_rows(rows, rank_by)
    _set_ratios(ordered, base)
    model_id = str(ordered[0]["estimate"]["model"])
    return {"workload": workload, "model": model_id, "rank_by": rank_by, "baseline": base, "rows": ordered}


def rank_rows(rows: Sequence[dict[str, Any]], rank_by: str) -> list[dict[str, Any]]:
    """The rows that ran sorted by ``rank_key`` of their ``rank_by`` figure and numbered from 1,
    then the rows that cannot run, as given (rank None)."""
    ranked = sorted((r for r in rows if "error" not in r), key=lambda r: rank_key(r["figures"][rank_by]))
    for i, row in enumerate(ranked, 1):
        row["rank"] = i
    return ranked + [r for r in rows if "error" in r]


def _set_ratios(rows: Sequence[dict[str, Any]], base: str) -> None:
    """Each row's numeric figures' mids over the baseline's (None where the baseline's is 0)."""
    base_figures = next(r["figures"] for r in rows if r["entry"] == base)
    for row in rows:
        if "error" not in row:
            row["ratios"] = {name: ratio(_mid(v), _mid(base_figures[name]))
                             for name, v in row["figures"].items() if name in base_figures}
