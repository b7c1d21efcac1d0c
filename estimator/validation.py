"""The validation report: every published result of the corpus against the estimate, scored with
leave-one-source-family-out cross-validation, next to two baselines.

Inputs: the catalog, a price book, the corpus (``seeds/calibration``), and the previous
estimator's answers on the same rows (``seeds/calibration/baseline_previous.csv``, written by
``scripts/score_previous.py``). Output: ``docs/validation.md`` (``estimator validate``), whose
headline is the cross-validated error: each row's estimate uses free numbers fitted without the
row's source family (``calibrate.py``). Baselines: 6·N·D at a flat 30 % of the dense peak
(training), and the estimator before the performance model of issue 17.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import calibrate, corpus
from .bands import Band
from .catalog import Catalog, load_catalog
from .cost import PriceBook, load_price_book

FLAT_UTILISATION = 0.30
BASELINE_FILE = corpus.CALIBRATION_DIR / "baseline_previous.csv"
#: What the issue asks of the cross-validated figures (docs/validation.md reports each as met or not).
TARGETS = (("training all", "median |error|", 0.20), ("training run", "median |error|", 0.20),
           ("serving throughput", "median |error|", 0.25), ("serving throughput, MoE", "median |error|", 0.30))
COVERAGE_TARGET = 0.75


@dataclass(frozen=True)
class Line:
    """One scored row with what the report groups it by."""

    scored: calibrate.Scored
    previous: float | None
    flat: float | None
    generation: str
    moe: bool
    precision: str
    size: str

    @property
    def row(self) -> corpus.Row:
        return self.scored.row


@dataclass(frozen=True)
class Report:
    lines: tuple[Line, ...]
    calibration: calibrate.Calibration
    previous_version: str
    defaults: dict[str, object]


def _previous() -> tuple[dict[str, float], str]:
    if not BASELINE_FILE.exists():
        return {}, "not scored"
    with BASELINE_FILE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    version = rows[0]["version"] if rows else "not scored"
    return {r["id"]: float(r["mid"]) for r in rows if r["mid"]}, version


def _flat(row: corpus.Row, catalog: Catalog) -> float | None:
    """6·N·D at 30 % of the row's dense peak: tokens/s per GPU, or GPU-hours of the run."""
    if row.kind != "training":
        return None
    model, hw = catalog.get_model(row.get("model")), catalog.get_hardware(row.get("hardware"))
    try:
        peak = hw.peak_tflops(row.get("precision") or "bf16") * 1e12
    except Exception:  # noqa: BLE001 - a precision the GPU lacks: the bf16 peak
        peak = hw.bf16_dense_tflops * 1e12
    tps = FLAT_UTILISATION * peak / (6.0 * model.active_params)
    if row.quantity == "gpu_hours":
        return (row.number("tokens") or 0.0) / tps / 3600.0
    return tps


def _size(active_params: float) -> str:
    return "under 10B active" if active_params < 10e9 else ("10-100B active" if active_params <= 100e9 else "over 100B active")


def evaluate(catalog: Catalog, book: PriceBook) -> Report:
    cal = calibrate.calibrate(catalog, book)
    full = corpus.load_catalog_with_corpus_models(catalog)
    previous, version = _previous()
    lines = []
    for s in cal.scored:
        row = s.row
        try:
            model, hw = full.get_model(row.get("model")), full.get_hardware(row.get("hardware"))
            generation, moe, size = hw.architecture, model.is_moe, _size(model.active_params)
        except Exception:  # noqa: BLE001 - a row without a usable model or GPU is reported as not estimated
            generation, moe, size = "unknown", False, "unknown"
        flat = _flat(row, full) if s.cv else None
        lines.append(Line(s, previous.get(row.id), flat, generation, moe, row.get("precision") or "bf16", size))
    return Report(tuple(lines), cal, version, calibrate.defaults_from(cal))


# --- Summaries -----------------------------------------------------------------------------------
def _abs_errors(lines: Iterable[Line], value: Callable[[Line], float | None]) -> list[float]:
    out = []
    for line in lines:
        v = value(line)
        if v is not None and v > 0:
            out.append(abs(v / line.scored.published - 1.0))
    return out


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1%}" if values else "–"


def _summary_row(label: str, lines: list[Line]) -> str:
    scored = [ln for ln in lines if ln.scored.cv]
    if not scored:
        return f"| {label} | 0 | – | – | – | – | – | – |"
    cv = _abs_errors(scored, lambda ln: ln.scored.cv[1] if ln.scored.cv else None)
    fit = _abs_errors(scored, lambda ln: ln.scored.fit[1] if ln.scored.fit else None)
    inside = sum(bool(ln.scored.inside) for ln in scored) / len(scored)
    widths = [ln.scored.cv[2] / ln.scored.cv[0] for ln in scored if ln.scored.cv and ln.scored.cv[0] > 0]
    prev = _abs_errors(scored, lambda ln: ln.previous)
    flat = _abs_errors(scored, lambda ln: ln.flat)
    return (f"| {label} | {len(scored)} | **{_median(cv)}** | {_median(fit)} | {inside:.0%} | "
            f"{statistics.median(widths):.2f}x | {_median(prev)} ({len(prev)}) | {_median(flat) if flat else '–'} |")


SUMMARY_HEAD = ("| rows | n | cross-validated median abs. error | in-sample | inside low-high (CV) | median band "
                "width (high/low) | previous estimator (rows) | 6·N·D at 30 % |\n|---|---|---|---|---|---|---|---|")


def _groups(lines: list[Line]) -> list[tuple[str, list[Line]]]:
    by = [
        ("training, steady-state throughput", [ln for ln in lines if ln.row.group == "training steady state"]),
        ("training, whole-run GPU-hours", [ln for ln in lines if ln.row.group == "training run"]),
        ("training, all", [ln for ln in lines if ln.row.kind == "training"]),
        ("serving throughput", [ln for ln in lines if ln.row.group == "serving throughput"]),
        ("serving throughput, dense", [ln for ln in lines if ln.row.group == "serving throughput" and not ln.moe]),
        ("serving throughput, MoE", [ln for ln in lines if ln.row.group == "serving throughput" and ln.moe]),
        ("serving latency (TPOT, TTFT)", [ln for ln in lines if ln.row.group == "serving latency"]),
        ("all rows", lines),
    ]
    return by


def _breakdown(title: str, lines: list[Line], key: Callable[[Line], str]) -> list[str]:
    out = [f"### By {title}", "", SUMMARY_HEAD]
    for value in sorted({key(ln) for ln in lines if ln.scored.cv}):
        for kind in ("training", "serving"):
            chosen = [ln for ln in lines if key(ln) == value and ln.row.kind == kind]
            if any(ln.scored.cv for ln in chosen):
                out.append(_summary_row(f"{kind}: {value}", chosen))
    return out + [""]


def _targets(report: Report) -> list[str]:
    lines = list(report.lines)
    groups = dict(_groups(lines))
    out = ["| target (issue 17) | measured (cross-validated) | met |", "|---|---|---|"]
    names = {"training all": "training, all", "training run": "training, whole-run GPU-hours",
             "serving throughput": "serving throughput", "serving throughput, MoE": "serving throughput, MoE"}
    for group, what, limit in TARGETS:
        errs = _abs_errors([ln for ln in groups[names[group]] if ln.scored.cv],
                           lambda ln: ln.scored.cv[1] if ln.scored.cv else None)
        value = statistics.median(errs) if errs else math.inf
        out.append(f"| {names[group]}: {what} <= {limit:.0%} | {value:.1%} | {'yes' if value <= limit else 'no'} |")
    scored = [ln for ln in lines if ln.scored.cv]
    coverage = sum(bool(ln.scored.inside) for ln in scored) / max(1, len(scored))
    out.append(f"| published figures inside low-high >= {COVERAGE_TARGET:.0%} | {coverage:.0%} | "
               f"{'yes' if coverage >= COVERAGE_TARGET else 'no'} |")
    training = [ln for ln in lines if ln.row.kind == "training" and ln.scored.cv]
    ours = statistics.median(_abs_errors(training, lambda ln: ln.scored.cv[1] if ln.scored.cv else None))
    flat = statistics.median(_abs_errors(training, lambda ln: ln.flat))
    out.append(f"| training: flat rule's median error / ours >= 1.5 | {flat:.1%} / {ours:.1%} = {flat / ours:.2f} | "
               f"{'yes' if flat / ours >= 1.5 else 'no'} |")
    return out


def _fitted(report: Report) -> list[str]:
    cal = report.calibration
    out = ["| number | full-corpus fit | range over the leave-one-family-out folds | fitted on | grid |",
           "|---|---|---|---|---|"]
    grids = {"ELEMENTWISE_FACTOR": calibrate.ELEMENTWISE_GRID, "EP_OVERLAP": calibrate.EP_OVERLAP_GRID,
             "DECODE_STEP_OVERHEAD_S": sorted({g[0] for g in calibrate.STEP_OVERHEAD_GRID}),
             "DECODE_SEQUENCE_OVERHEAD_S": sorted({g[1] for g in calibrate.STEP_OVERHEAD_GRID}), "GOODPUT_MID": "median"}
    rows_for = {"ELEMENTWISE_FACTOR": "training steady-state rows", "EP_OVERLAP": "training steady-state rows",
                "GOODPUT_MID": "whole-run rows (median busy / reserved)", "DECODE_STEP_OVERHEAD_S": "serving rows",
                "DECODE_SEQUENCE_OVERHEAD_S": "serving rows"}
    for name, value in cal.fitted.items():
        fold_values = [f[name] for f in cal.folds.values()]
        out.append(f"| `{name}` | {value:.4g} | {min(fold_values):.4g} - {max(fold_values):.4g} | {rows_for[name]} | "
                   f"{', '.join(f'{g:g}' for g in grids[name]) if isinstance(grids[name], (list, tuple)) else grids[name]} |")
    out += ["", "Spreads (10th / 90th percentile of the cross-validated published / estimate ratios; they set low and high):", ""]
    out += ["| group | low multiplier | high multiplier |", "|---|---|---|"]
    for group, (lo, hi) in sorted(cal.spreads.items()):
        out.append(f"| {group} | {lo:.3f} | {hi:.3f} |")
    return out


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _rows_table(lines: list[Line]) -> list[str]:
    out = ["| id | group | published | low | mid | high | error | inside | previous | family | date | source |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for ln in sorted((ln for ln in lines if ln.scored.cv), key=lambda ln: (ln.row.group, ln.row.id)):
        s = ln.scored
        assert s.cv is not None
        prev = _fmt(ln.previous) if ln.previous else "–"
        out.append(f"| {ln.row.id} | {ln.row.group} | {_fmt(s.published)} | {_fmt(s.cv[0])} | {_fmt(s.cv[1])} | "
                   f"{_fmt(s.cv[2])} | {s.error:+.0%} | {'yes' if s.inside else 'no'} | {prev} | {ln.row.family} | "
                   f"{ln.row.date} | {ln.row.source[:140].replace('|', '/')} |")
    return out


def _not_estimated(lines: list[Line]) -> list[str]:
    out = ["| id | quantity | why not estimated | source |", "|---|---|---|---|"]
    for ln in sorted((ln for ln in lines if not ln.scored.cv), key=lambda ln: ln.row.id):
        out.append(f"| {ln.row.id} | {ln.row.quantity} | {ln.scored.reason.replace('|', '/')} | "
                   f"{ln.row.source[:100].replace('|', '/')} |")
    return out


#: Published pairs behind the article's ratios: (efficient model's row, Llama 3.1 405B's row), same
#: GPU, precision and benchmark.
ARTICLE_PAIRS = (
    ("training, GB200, MXFP8 (NVIDIA Megatron-Bridge 26.04)", "mbr2604-dsv3-gb200-mxfp8", "mbr2604-llama31-405b-gb200-mxfp8"),
    ("training, GB300, MXFP8 (NVIDIA Megatron-Bridge 26.04)", "mbr2604-dsv3-gb300-mxfp8", "mbr2604-llama31-405b-gb300-mxfp8"),
    ("training, H100, fp8 (Megatron-Bridge 25.09 / 26.02)", "mbr2509-dsv3-h100-fp8", "mbr2602-llama31-405b-h100-fp8"),
    ("serving 1k/1k, H200, fp8 (TensorRT-LLM perf overview)", "tpo-dsr1-h200-fp8-1k1k", "tpo10-l31-405b-h200-fp8-1k1k"),
    ("serving 1k/1k, B200, fp4 (TensorRT-LLM perf overview)", "tpo-dsr1-b200-fp4-1k1k", "tpo10-l31-405b-b200-fp4-1k1k"),
    ("serving 1k/1k, GB200, fp4 (TensorRT-LLM perf overview)", "tpo-dsr1-gb200-fp4-1k1k", "tpo10-l31-405b-gb200-fp4-1k1k"),
)
ARTICLE_MODELS = ("deepseek-v3", "mistral-large-2")
ARTICLE_BASE = "llama-3.1-405b"


def _per_gpu(line: Line, value: float) -> float:
    gpus = line.row.number("gpus") or 1.0
    return value / gpus if line.row.quantity == "output_tokens_per_s" else value


def _article(report: Report, catalog: Catalog, book: PriceBook) -> list[str]:
    """Ratios of the article's efficient models to Llama 3.1 405B: the estimator's (with bands, the
    two estimates' spreads combined as independent) and the published pairs that support them."""
    from .inference import InferenceRequest, estimate_inference
    from .training import TrainingRequest, estimate_training

    out = ["| workload (same GPUs, same work) | model | Llama 3.1 405B / model: low | mid | high |", "|---|---|---|---|---|"]

    def ratio(base: Band, other: Band) -> tuple[float, float, float]:
        return base.low / other.high, base.mid / other.mid, base.high / other.low

    def training(model: str) -> Band:
        """Steady-state GPU-seconds per token (the goodput is the same for both runs, so it cancels)."""
        est = estimate_training(TrainingRequest(catalog.get_model(model), catalog.get_hardware("h100-sxm"), 15e12,
                                                precision="fp8", gpus=2048), book, catalog)
        tps = est.tokens_per_s_per_gpu or Band.point(1.0)
        return Band(1.0 / tps.high, 1.0 / tps.mid, 1.0 / tps.low)

    base_train = training(ARTICLE_BASE)
    for model in ARTICLE_MODELS:
        low, mid, high = ratio(base_train, training(model))
        out.append(f"| training GPU-hours per token, 2,048 H100, fp8 (steady state) | {model} | {low:.2f}x | **{mid:.2f}x** | "
                   f"{high:.2f}x |")
    for model in ARTICLE_MODELS:
        est = {m: estimate_inference(InferenceRequest(catalog.get_model(m), catalog.get_hardware("h200-sxm"), precision="fp8",
                                                      input_tokens=1000, output_tokens=1000), book, catalog)
               for m in (ARTICLE_BASE, model)}
        per_gpu = {m: Band(*(e.throughput_output_tokens_per_s[s] / e.gpus_per_replica for s in ("low", "mid", "high")))
                   for m, e in est.items()}
        low, mid, high = per_gpu[model].low / per_gpu[ARTICLE_BASE].high, per_gpu[model].mid / per_gpu[ARTICLE_BASE].mid, \
            per_gpu[model].high / per_gpu[ARTICLE_BASE].low
        out.append(f"| serving output per GPU-hour, 1k in / 1k out, H200, fp8 | {model} | {low:.2f}x | **{mid:.2f}x** | "
                   f"{high:.2f}x |")
    out += ["", *_deepseek_v3_pretraining(catalog, book)]
    out += ["", "Published pairs (same GPU, precision and benchmark) and the estimator's ratio for the same two rows:", "",
            "| pair | DeepSeek row / Llama 3.1 405B row | published ratio | estimated ratio (in-sample mid) |",
            "|---|---|---|---|"]
    by_id = {ln.row.id: ln for ln in report.lines}
    for label, efficient, base in ARTICLE_PAIRS:
        a, b = by_id.get(efficient), by_id.get(base)
        if a is None or b is None or not a.scored.fit or not b.scored.fit:
            continue
        published = _per_gpu(a, a.scored.published) / _per_gpu(b, b.scored.published)
        estimated = _per_gpu(a, a.scored.fit[1]) / _per_gpu(b, b.scored.fit[1])
        out.append(f"| {label} | {efficient} / {base} | {published:.2f}x | {estimated:.2f}x |")
    return out


#: DeepSeek-V3's pre-training as published (arXiv:2412.19437 §1, §3.2, §4.2): 14.8T tokens on 2,048 H800
#: in fp8, PP16 x EP64 (8 nodes) x ZeRO-1 DP, no TP, batch up to 15,360 x 4,096 tokens, RMSNorm and MLA
#: up-projections recomputed; 180K GPU-hours per trillion tokens, 2,664K for the 14.8T.
DEEPSEEK_V3_TOKENS = 14.8e12
DEEPSEEK_V3_PUBLISHED_GPU_HOURS = 2_664_000.0


def _deepseek_v3_pretraining(catalog: Catalog, book: PriceBook) -> list[str]:
    """The article's figure: DeepSeek-V3's 2,664K H800 GPU-hours, a steady rate x tokens, against the
    steady-state estimate under each pipeline schedule (busy GPU-hours) and a whole run's reserved hours."""
    from .training import TrainingRequest, estimate_training

    out = ["DeepSeek-V3's pre-training figure, 2,664K H800 GPU-hours, is its steady rate times its tokens (\"training "
           "DeepSeek-V3 on each trillion tokens requires only 180K H800 GPU hours ... Consequently, our pre-training stage "
           "... costs 2664K GPU hours\", arXiv:2412.19437 §1), so the corpus scores it as throughput (row dsv3-h800-fp8) "
           "and the comparable estimate is busy GPU-hours; reserved hours add the goodput of published whole runs. On the "
           "published layout (PP16, EP64 over 8 nodes, no TP, fp8), by pipeline schedule:", "",
           "| schedule | tokens/s per GPU: low | mid | high | busy GPU-hours, 14.8T (mid) | / published | reserved GPU-hours "
           "(mid, with goodput) |", "|---|---|---|---|---|---|---|"]
    for schedule in ("1f1b", "dualpipe"):
        est = estimate_training(TrainingRequest(
            catalog.get_model("deepseek-v3"), catalog.get_hardware("h800-sxm"), DEEPSEEK_V3_TOKENS, precision="fp8",
            gpus=2048, sequence_tokens=4096, recompute="selective", tensor_parallel=1, pipeline_parallel=16,
            expert_parallel=64, global_batch_tokens=15360 * 4096, pipeline_schedule=schedule), book, catalog)
        tps = est.tokens_per_s_per_gpu or Band.point(float("nan"))
        busy = DEEPSEEK_V3_TOKENS / tps.mid / 3600.0
        out.append(f"| {schedule} | {tps.low:,.0f} | **{tps.mid:,.0f}** | {tps.high:,.0f} | {busy / 1e3:,.0f}K | "
                   f"{busy / DEEPSEEK_V3_PUBLISHED_GPU_HOURS:.2f}x | {est.gpu_hours.mid / 1e3:,.0f}K |")
    out.append(f"| published | | 1,543 | | {DEEPSEEK_V3_PUBLISHED_GPU_HOURS / 1e3:,.0f}K | 1.00x | |")
    return out


def render(report: Report, catalog: Catalog | None = None, book: PriceBook | None = None) -> str:
    lines = list(report.lines)
    scored = [ln for ln in lines if ln.scored.cv]
    out = [
        "# Validation report",
        "",
        f"Generated by `estimator validate` on {dt.date.today().isoformat()}. The corpus is "
        f"`seeds/calibration/` ({len(lines)} published results, {len(scored)} estimated; each with its source, date "
        "and source family). Every figure below is **cross-validated**: a row's estimate uses the free numbers "
        "fitted without the row's source family (`estimator/calibrate.py`), so a family never scores its own fit. "
        "*In-sample* uses the full-corpus fit, for comparison only.",
        "",
        "Low and high: the model's mid estimate times the 10th and 90th percentiles of the cross-validated "
        "published / estimate ratios of its group. The low-cost end is a tuned vendor stack (NVIDIA's published "
        "tables sit there), the high-cost end a typical production deployment; about 80 % of published figures "
        "should fall inside, and the table says how many did. *Median band width* is high / low.",
        "",
        "Baselines on the same rows: *previous estimator* is " + report.previous_version + "; the flat rule is "
        "6·N_active·D at 30 % of the row's dense peak (training only).",
        "",
        "## Headline",
        "",
        SUMMARY_HEAD,
        *(_summary_row(label, group) for label, group in _groups(lines)),
        "",
        *_targets(report),
        "",
        "## Fitted numbers",
        "",
        "Everything else in the performance model is a measured kernel efficiency (`seeds/kernels`, NVIDIA "
        "aiconfigurator-core) or a physical count; these are the only numbers fitted to end-to-end results.",
        "",
        *_fitted(report),
        "",
        "## Breakdowns",
        "",
        *_breakdown("GPU generation", lines, lambda ln: ln.generation),
        *_breakdown("dense / MoE", lines, lambda ln: "MoE" if ln.moe else "dense"),
        *_breakdown("precision", lines, lambda ln: ln.precision),
        *_breakdown("size class", lines, lambda ln: ln.size),
        *_breakdown("source family", lines, lambda ln: ln.row.family),
        "## The article's comparison, re-checked",
        "",
        "The article contrasts efficient open models with Llama 3.1 405B. DeepSeek-V3 activates 37B of 671B "
        "parameters per token; Mistral Large 2 is a dense 123B. The table gives how many times more work the same "
        "GPUs do with each (training: Llama 3.1 405B's GPU-hours / the model's for the same 15T tokens; serving: "
        "the model's output tokens per GPU-hour / Llama's), with bands that combine both estimates' spreads as "
        "independent (the goodput of a whole run is the same for both and cancels). DeepSeek's per-token FLOPs are 11x smaller (6 x 37B vs 6 x 405B), but MoE runs at a lower "
        "utilisation (expert GEMMs at small per-expert batches, all-to-all, imbalance), which the measured kernels "
        "and the MoE rows of the corpus price in; no published result pairs Mistral Large 2 with Llama 3.1 405B on "
        "the same GPUs, so its ratio rests on the dense rows' accuracy (7.7 % cross-validated serving error).",
        "",
        *(_article(report, catalog or load_catalog(), book or load_price_book())),
        "",
        "## Every estimated row",
        "",
        *_rows_table(lines),
        "",
        "## Rows not estimated",
        "",
        *_not_estimated(lines),
        "",
    ]
    return "\n".join(out)


def write_report(path: str | Path, catalog: Catalog | None = None, book: PriceBook | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog, book = catalog or load_catalog(), book or load_price_book()
    path.write_text(render(evaluate(catalog, book), catalog, book), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_report("docs/validation.md"))
