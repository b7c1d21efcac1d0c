"""Hardware and model records, loaded from ``seeds/`` (or given inline), each with its source.

Inputs: the seed CSVs (``seeds/hardware.csv``, ``seeds/models.csv``; columns and units in
``seeds/README.md``) or a mapping with the same field names. Outputs: frozen ``Hardware`` and
``Model`` records and a ``Catalog`` that looks them up by id or alias and, for an unknown id,
raises ``UnknownIdError`` with the closest ids.
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path

from .errors import CatalogConflictError, CatalogError, UnknownIdError, UnsupportedPrecisionError


def _seeds_dir() -> Path:
    """Where the seed CSVs are: ``estimator/seeds`` inside an installed wheel (pyproject.toml maps
    the repository's ``seeds/`` there), else ``seeds/`` at the repository root (a checkout or an
    editable install)."""
    packaged = resources.files("estimator") / "seeds"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "seeds"


SEEDS_DIR = _seeds_dir()

#: Precisions the estimator knows, and the tensor-core peak column each one uses.
#: fp16 shares the bf16 peak on every listed GPU (NVIDIA datasheets print one figure for both).
PRECISION_PEAK_FIELD = {
    "fp64": "fp64_tensor_tflops",
    "tf32": "tf32_dense_tflops",
    "bf16": "bf16_dense_tflops",
    "fp16": "bf16_dense_tflops",
    "fp8": "fp8_dense_tflops",
    "fp4": "fp4_dense_tflops",
}
#: Bytes per stored value at each precision (tf32 values are stored as fp32).
BYTES_PER_VALUE = {"fp64": 8.0, "tf32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "fp4": 0.5}
PRECISIONS = tuple(PRECISION_PEAK_FIELD)
#: The latent sizes an MLA model (attention 'mla': DeepSeek-V2/V3) must give.
MLA_SIZES = ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")


def _number(raw: object, name: str, *, required: bool, positive: bool = True) -> float | None:
    """Parse one numeric field: finite, and > 0 where ``positive`` (>= 0 otherwise)."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if required:
            raise CatalogError(f"'{name}' is required.", field=name)
        return None
    if isinstance(raw, bool):
        raise CatalogError(f"'{name}' must be a number, not {raw!r}.", field=name)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CatalogError(f"'{name}' must be a number, got {raw!r}.", field=name) from None
    except OverflowError:
        raise CatalogError(f"'{name}' is too large to be a number of this kind.", field=name) from None
    if not math.isfinite(value):
        raise CatalogError(f"'{name}' must be finite, got {raw!r}.", field=name)
    if value < 0 or (positive and value == 0):
        bound = "greater than 0" if positive else "0 or more"
        raise CatalogError(f"'{name}' must be {bound}, got {raw!r}.", field=name)
    return value


def _int(raw: object, name: str, *, required: bool, positive: bool = True) -> int | None:
    value = _number(raw, name, required=required, positive=positive)
    if value is None:
        return None
    if value != int(value):
        raise CatalogError(f"'{name}' must be a whole number, got {raw!r}.", field=name)
    return int(value)


def _text(raw: object, name: str, *, required: bool) -> str:
    text = "" if raw is None else str(raw).strip()
    if required and not text:
        raise CatalogError(f"'{name}' is required.", field=name)
    return text


def _check_architecture(ints: Mapping[str, int | None], attention: str) -> None:
    """Shapes that contradict each other are errors, not silent fallbacks."""
    experts, k = ints.get("experts"), ints.get("experts_per_token")
    if k is not None and experts is None:
        raise CatalogError("'experts_per_token' needs 'experts' (routed experts per layer).", field="experts")
    if experts is not None and k is not None and k > experts:
        raise CatalogConflictError(f"'experts_per_token' ({k}) cannot exceed 'experts' ({experts}).", field="experts_per_token")
    heads, kv_heads = ints.get("attention_heads"), ints.get("kv_heads")
    if heads is not None and kv_heads is not None and kv_heads > heads:
        raise CatalogConflictError(f"'kv_heads' ({kv_heads}) cannot exceed 'attention_heads' ({heads}).", field="kv_heads")
    if attention == "mla":
        missing = [n for n in MLA_SIZES if ints.get(n) is None]
        if missing:
            raise CatalogError(f"attention 'mla' needs {', '.join(missing)} (DeepSeek-V2/V3 latent sizes).", field=missing[0])


def _reject_unknown(row: Mapping[str, object], record: type) -> None:
    """An inline record may only use the catalog's column names (a typo must not be dropped)."""
    known = {f.name for f in fields(record)} - {"inline"}
    if record.__name__ == "Model":
        known.add("params")
    unknown = sorted(set(row) - known)
    if unknown:
        hint = difflib.get_close_matches(unknown[0], known, n=1)
        suggestion = f" Did you mean '{hint[0]}'?" if hint else ""
        raise CatalogError(f"Unknown field '{unknown[0]}'.{suggestion} Fields are the columns of seeds/README.md.",
                           field=unknown[0])


def _aliases(raw: object) -> tuple[str, ...]:
    return tuple(a.strip().lower() for a in str(raw or "").split(";") if a.strip())


@dataclass(frozen=True)
class Hardware:
    """One kind of GPU, with dense (not 2:4-sparse) tensor throughput."""

    id: str
    name: str
    architecture: str
    bf16_dense_tflops: float
    hbm_gb: float
    hbm_bandwidth_tb_per_s: float
    tdp_w: float
    gpus_per_node: int
    source: str
    as_of: str
    fp64_tensor_tflops: float | None = None
    tf32_dense_tflops: float | None = None
    fp8_dense_tflops: float | None = None
    fp4_dense_tflops: float | None = None
    nvlink_gb_per_s: float = 0.0
    nvlink_domain_gpus: int = 1
    node_max_power_kw: float | None = None
    node_power_source: str = ""
    form_factor: str = ""
    aliases: tuple[str, ...] = ()
    inline: bool = False

    def peak_tflops(self, precision: str) -> float:
        """Dense tensor-core peak at ``precision`` in TFLOP/s; raises if the GPU has none."""
        column = PRECISION_PEAK_FIELD.get(precision)
        if column is None:
            raise UnsupportedPrecisionError(
                f"Unknown precision '{precision}'. Use one of: {', '.join(PRECISIONS)}.",
                field="precision",
            )
        peak = getattr(self, column)
        if peak is None:
            have = [p for p, c in PRECISION_PEAK_FIELD.items() if getattr(self, c) is not None]
            raise UnsupportedPrecisionError(
                f"{self.name} has no {precision} tensor cores. "
                f"Use one of: {', '.join(have)}, or other hardware.",
                field="precision",
                hardware=self.id,
                supported=have,
            )
        return float(peak)

    @classmethod
    def from_mapping(cls, row: Mapping[str, object], *, inline: bool = False) -> Hardware:
        """Build and validate a record from a CSV row or an inline JSON object."""
        if inline:
            _reject_unknown(row, cls)
        hw_id = _text(row.get("id"), "id", required=not inline) or "custom-hardware"
        return cls(
            id=hw_id.lower(),
            name=_text(row.get("name"), "name", required=False) or hw_id,
            architecture=_text(row.get("architecture"), "architecture", required=False).lower()
            or "unknown",
            bf16_dense_tflops=_number(row.get("bf16_dense_tflops"), "bf16_dense_tflops", required=True),  # type: ignore[arg-type]
            hbm_gb=_number(row.get("hbm_gb"), "hbm_gb", required=True),  # type: ignore[arg-type]
            hbm_bandwidth_tb_per_s=_number(row.get("hbm_bandwidth_tb_per_s"), "hbm_bandwidth_tb_per_s", required=True),  # type: ignore[arg-type]
            tdp_w=_number(row.get("tdp_w"), "tdp_w", required=True),  # type: ignore[arg-type]
            gpus_per_node=_int(row.get("gpus_per_node") or 8, "gpus_per_node", required=True),  # type: ignore[arg-type]
            source=_text(row.get("source"), "source", required=not inline) or "given inline by the user",
            as_of=_text(row.get("as_of"), "as_of", required=not inline) or "unknown",
            fp64_tensor_tflops=_number(row.get("fp64_tensor_tflops"), "fp64_tensor_tflops", required=False),
            tf32_dense_tflops=_number(row.get("tf32_dense_tflops"), "tf32_dense_tflops", required=False),
            fp8_dense_tflops=_number(row.get("fp8_dense_tflops"), "fp8_dense_tflops", required=False),
            fp4_dense_tflops=_number(row.get("fp4_dense_tflops"), "fp4_dense_tflops", required=False),
            nvlink_gb_per_s=_number(row.get("nvlink_gb_per_s"), "nvlink_gb_per_s", required=False, positive=False) or 0.0,
            nvlink_domain_gpus=_int(row.get("nvlink_domain_gpus") or 1, "nvlink_domain_gpus", required=False) or 1,
            node_max_power_kw=_number(row.get("node_max_power_kw"), "node_max_power_kw", required=False),
            node_power_source=_text(row.get("node_power_source"), "node_power_source", required=False),
            form_factor=_text(row.get("form_factor"), "form_factor", required=False),
            aliases=_aliases(row.get("aliases")),
            inline=inline,
        )


@dataclass(frozen=True)
class Model:
    """A model's size and, where published, its architecture.

    ``total_params`` and ``active_params`` (per token; equal for dense models) are required;
    everything else is optional, and an estimate that needs a missing field says so.
    """

    id: str
    name: str
    total_params: float
    active_params: float
    source: str
    as_of: str
    developer: str = ""
    open_weights: bool = True
    is_estimate: bool = False
    attention: str = ""
    layers: int | None = None
    hidden_size: int | None = None
    attention_heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    ffn_size: int | None = None
    dense_layers: int | None = None
    moe_ffn_size: int | None = None
    experts: int | None = None
    experts_per_token: int | None = None
    shared_experts: int | None = None
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    qk_nope_head_dim: int | None = None
    v_head_dim: int | None = None
    vocab_size: int | None = None
    max_context_tokens: int | None = None
    training_sequence_tokens: int | None = None
    training_tokens: float | None = None
    aliases: tuple[str, ...] = ()
    inline: bool = False

    @property
    def is_moe(self) -> bool:
        return bool(self.experts and self.experts > 1)

    @property
    def qk_head_dim(self) -> int | None:
        """Per-head width of queries and keys (MLA: nope + rope parts)."""
        if self.attention == "mla" and self.qk_nope_head_dim and self.qk_rope_head_dim:
            return self.qk_nope_head_dim + self.qk_rope_head_dim
        return self.head_dim

    @property
    def value_head_dim(self) -> int | None:
        return self.v_head_dim if self.attention == "mla" and self.v_head_dim else self.head_dim

    @property
    def has_attention_shape(self) -> bool:
        return bool(self.layers and self.attention_heads and self.qk_head_dim and self.value_head_dim)

    @classmethod
    def from_mapping(cls, row: Mapping[str, object], *, inline: bool = False) -> Model:
        """Build and validate a record from a CSV row or an inline JSON object."""
        model_id = _text(row.get("id"), "id", required=not inline) or "custom-model"
        if inline:
            _reject_unknown(row, cls)
        total = _number(row.get("total_params", row.get("params")), "total_params", required=True) or 0.0
        active = _number(row.get("active_params"), "active_params", required=False) or total
        if active > total:
            raise CatalogConflictError(
                f"'active_params' ({active:.4g}) cannot exceed 'total_params' ({total:.4g}).",
                field="active_params",
            )
        ints = {
            f.name: _int(row.get(f.name), f.name, required=False, positive=f.name != "dense_layers" and f.name != "shared_experts")
            for f in fields(cls)
            if f.type in ("int | None",)
        }
        attention = _text(row.get("attention"), "attention", required=False).lower()
        if attention and attention not in ("mha", "gqa", "mla"):
            raise CatalogError(f"'attention' must be mha, gqa or mla, got {attention!r}.", field="attention")
        _check_architecture(ints, attention)
        return cls(
            id=model_id.lower(),
            name=_text(row.get("name"), "name", required=False) or model_id,
            total_params=total,
            active_params=active,
            source=_text(row.get("source"), "source", required=not inline) or "given inline by the user",
            as_of=_text(row.get("as_of"), "as_of", required=not inline) or "unknown",
            developer=_text(row.get("developer"), "developer", required=False),
            open_weights=str(row.get("open_weights", "true")).strip().lower() != "false",
            is_estimate=str(row.get("is_estimate", "false")).strip().lower() == "true",
            attention=attention,
            training_tokens=_number(row.get("training_tokens"), "training_tokens", required=False),
            aliases=_aliases(row.get("aliases")),
            inline=inline,
            **ints,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Catalog:
    """Hardware and models by id; aliases resolve to the canonical id."""

    hardware: Mapping[str, Hardware]
    models: Mapping[str, Model]
    _alias: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, hardware: Iterable[Hardware], models: Iterable[Model]) -> Catalog:
        hw = {h.id: h for h in hardware}
        md = {m.id: m for m in models}
        alias: dict[str, str] = {}
        records: list[Hardware | Model] = [*hw.values(), *md.values()]
        for record in records:
            for a in record.aliases:
                alias[a] = record.id
        return cls(hardware=hw, models=md, _alias=alias)

    def get_hardware(self, hw_id: str) -> Hardware:
        key = self._alias.get(hw_id.strip().lower(), hw_id.strip().lower())
        if key not in self.hardware:
            raise UnknownIdError("hardware", hw_id, self.hardware, field="hardware")
        return self.hardware[key]

    def get_model(self, model_id: str) -> Model:
        key = self._alias.get(model_id.strip().lower(), model_id.strip().lower())
        if key not in self.models:
            raise UnknownIdError("model", model_id, self.models, field="model")
        return self.models[key]


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _load(path: Path, builder):  # type: ignore[no-untyped-def]
    records = []
    for line, row in enumerate(_read_rows(path), start=2):
        try:
            records.append(builder(row))
        except CatalogError as exc:
            raise CatalogError(f"{path.name} row {line}: {exc.message}", field=exc.field) from None
    return records


def load_catalog(seeds_dir: Path = SEEDS_DIR) -> Catalog:
    """Read ``hardware.csv`` and ``models.csv`` from ``seeds_dir``."""
    return Catalog.build(
        _load(seeds_dir / "hardware.csv", Hardware.from_mapping),
        _load(seeds_dir / "models.csv", Model.from_mapping),
    )


def parameter_count(model: Model) -> tuple[float, float] | None:
    """(total, active) parameters implied by the architecture, or None if it is incomplete.

    Counts embeddings and an untied output head (vocab x hidden each), attention projections
    (GQA: q and o of H x d_head, k and v of KV x d_head; MLA: DeepSeek-V2/V3's low-rank q and kv
    projections), and SwiGLU FFNs of 3 x hidden x ffn per dense layer or per expert. Norms,
    biases and routers (< 0.1 %) are left out. Used to check the seed rows against their sources.
    """
    m = model
    if not (m.layers and m.hidden_size and m.attention_heads and m.vocab_size):
        return None
    h, layers = m.hidden_size, m.layers
    if m.attention == "mla":
        if not (m.q_lora_rank and m.kv_lora_rank and m.qk_rope_head_dim and m.qk_nope_head_dim and m.v_head_dim):
            return None
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        attn = (h * m.q_lora_rank + m.q_lora_rank * m.attention_heads * qk
                + h * (m.kv_lora_rank + m.qk_rope_head_dim)
                + m.kv_lora_rank * m.attention_heads * (m.qk_nope_head_dim + m.v_head_dim)
                + m.attention_heads * m.v_head_dim * h)
    else:
        if not (m.head_dim and m.kv_heads):
            return None
        attn = 2 * h * m.attention_heads * m.head_dim + 2 * h * m.kv_heads * m.head_dim
    dense_layers = layers if not m.is_moe else (m.dense_layers or 0)
    moe_layers = layers - dense_layers
    dense_ffn = 3 * h * (m.ffn_size or 0)
    expert = 3 * h * (m.moe_ffn_size or 0)
    shared = m.shared_experts or 0
    embed = 2 * m.vocab_size * h
    total = embed + layers * attn + dense_layers * dense_ffn + moe_layers * expert * ((m.experts or 0) + shared)
    active = embed + layers * attn + dense_layers * dense_ffn + moe_layers * expert * ((m.experts_per_token or 0) + shared)
    return float(total), float(active)
