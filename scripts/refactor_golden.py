"""Record (or check) the figures of a few thousand random valid requests, so a refactor of the core
can show that it changes no figure.

    python scripts/refactor_golden.py --write   # after a deliberate change of the model
    python scripts/refactor_golden.py           # compare with the recorded fixture

The requests are drawn from a seeded generator over the catalog (every model and GPU, every
precision, overrides, GPU counts, deadlines, loads and latency targets); each result (or the
error an invalid combination raises) is hashed as canonical JSON. The price book is a fixed copy
of the seed tables (tests/core/data/golden_prices) with staleness warnings off, so neither a price
update nor the date changes the fixture. tests/core/test_refactor_golden.py runs the comparison.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from estimator.catalog import load_catalog  # noqa: E402
from estimator.cost import PriceBook, read_sheets  # noqa: E402
from estimator.errors import EstimatorError  # noqa: E402
from estimator.inference import InferenceRequest, estimate_inference  # noqa: E402
from estimator.training import TrainingRequest, estimate_training  # noqa: E402

FIXTURE = ROOT / "tests" / "core" / "data" / "refactor_golden.json.gz"
PRICES = ROOT / "tests" / "core" / "data" / "golden_prices"
SEED = 20261205
COUNT = {"training": 1200, "inference": 1200}


def golden_book() -> PriceBook:
    return PriceBook.from_sheets(read_sheets(PRICES), table="golden", stale_after_days=10**7)


def _maybe(rng: random.Random, p: float, value: Any) -> Any:
    return value if rng.random() < p else None


def training_requests(catalog: Any, rng: random.Random, n: int) -> list[dict[str, Any]]:
    models, gpus = sorted(catalog.models), sorted(catalog.hardware)
    out = []
    for _ in range(n):
        req: dict[str, Any] = {
            "model": rng.choice(models), "hardware": rng.choice(gpus),
            "tokens": 10 ** rng.uniform(9, 13.5),
            "precision": rng.choice(["bf16", "bf16", "fp8", "fp16", "fp4", "tf32"]),
            "recompute": rng.choice(["none", "selective", "full"]),
            "sequence_tokens": _maybe(rng, 0.3, rng.choice([2048, 4096, 8192, 32768])),
            "utilisation": _maybe(rng, 0.15, round(rng.uniform(0.2, 0.6), 3)),
            "goodput": _maybe(rng, 0.15, round(rng.uniform(0.6, 0.99), 3)),
            "pue": _maybe(rng, 0.15, round(rng.uniform(1.05, 1.6), 3)),
            "usd_per_gpu_hour": _maybe(rng, 0.15, round(rng.uniform(1, 6), 2)),
            "capex_usd_per_gpu": _maybe(rng, 0.1, round(rng.uniform(1e4, 5e4))),
            "usd_per_kwh": _maybe(rng, 0.1, round(rng.uniform(0.03, 0.2), 3)),
        }
        mode = rng.random()
        if mode < 0.4:
            req["gpus"] = rng.choice([8, 64, 256, 1024, 2048, 4096, 16384])
        elif mode < 0.7:
            req["deadline_days"] = round(rng.uniform(5, 200), 1)
        out.append(req)
    return out


def inference_requests(catalog: Any, rng: random.Random, n: int) -> list[dict[str, Any]]:
    models, gpus = sorted(catalog.models), sorted(catalog.hardware)
    out = []
    for _ in range(n):
        req: dict[str, Any] = {
            "model": rng.choice(models), "hardware": rng.choice(gpus),
            "precision": rng.choice(["bf16", "fp8", "fp8", "fp4", "int4", "fp16"]),
            "input_tokens": _maybe(rng, 0.8, rng.choice([128, 500, 1000, 2000, 8000, 32000])),
            "output_tokens": _maybe(rng, 0.8, rng.choice([50, 200, 500, 1000, 4000])),
            "gpus_per_replica": _maybe(rng, 0.2, rng.choice([1, 2, 4, 8, 16, 32])),
            "batch_size": _maybe(rng, 0.15, rng.choice([1, 8, 32, 128])),
            "ttft_ms": _maybe(rng, 0.3, rng.choice([200, 1000, 3000])),
            "tpot_ms": _maybe(rng, 0.3, rng.choice([10, 30, 50, 100])),
            "peak_to_average": _maybe(rng, 0.2, rng.choice([1.5, 2.0])),
            "pue": _maybe(rng, 0.1, 1.3),
            "usd_per_gpu_hour": _maybe(rng, 0.1, 2.5),
        }
        load = rng.random()
        if load < 0.3:
            req["requests_per_s"] = round(10 ** rng.uniform(-1, 3), 3)
        elif load < 0.45:
            req["tokens_per_day"] = 10 ** rng.uniform(8, 12)
        out.append(req)
    return out


def run_one(kind: str, req: dict[str, Any], catalog: Any, book: PriceBook) -> Any:
    args = {k: v for k, v in req.items() if v is not None and k not in ("model", "hardware")}
    model, hw = catalog.get_model(req["model"]), catalog.get_hardware(req["hardware"])
    try:
        if kind == "training":
            return estimate_training(TrainingRequest(model, hw, **args), book, catalog).to_dict()
        return estimate_inference(InferenceRequest(model, hw, **args), book, catalog).to_dict()
    except EstimatorError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}


def digest(result: Any) -> str:
    return hashlib.blake2b(json.dumps(result, sort_keys=True).encode(), digest_size=12).hexdigest()


def cases() -> list[tuple[str, dict[str, Any]]]:
    catalog = load_catalog()
    rng = random.Random(SEED)
    return ([("training", r) for r in training_requests(catalog, rng, COUNT["training"])]
            + [("inference", r) for r in inference_requests(catalog, rng, COUNT["inference"])])


def compute() -> list[dict[str, Any]]:
    catalog, book = load_catalog(), golden_book()
    return [{"kind": k, "request": r, "digest": digest(run_one(k, r, catalog, book))} for k, r in cases()]


def main() -> int:
    rows = compute()
    if "--write" in sys.argv:
        FIXTURE.write_bytes(gzip.compress(json.dumps(rows).encode(), mtime=0))
        print(f"wrote {len(rows)} rows to {FIXTURE.relative_to(ROOT)}")
        return 0
    recorded = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    changed = [new for old, new in zip(recorded, rows, strict=True) if old != new]
    print(f"{len(rows) - len(changed)} of {len(rows)} identical")
    for row in changed[:5]:
        print("changed:", row["kind"], row["request"])
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
