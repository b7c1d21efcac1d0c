"""The seed catalogs: sources on every row, dense (not sparse) figures, architectures that add up."""

import csv

import pytest

from estimator.catalog import SEEDS_DIR, Hardware, parameter_count
from estimator.cost import SHEETS
from estimator.errors import CatalogError, UnknownIdError, UnsupportedPrecisionError

REQUIRED_HARDWARE = ["a100-40gb-sxm", "a100-80gb-sxm", "h100-sxm", "h100-pcie", "h800-sxm", "h20", "h200-sxm",
                     "b200", "gb200", "l40s", "l4"]
REQUIRED_MODELS = ["llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "deepseek-v3", "deepseek-r1", "mixtral-8x7b",
                   "mixtral-8x22b", "mistral-large-2", "mistral-small-3", "qwen2.5-72b"]


def _rows(name):
    with (SEEDS_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", ["hardware.csv", "models.csv"])
def test_every_seed_row_has_a_source_and_date(name):
    rows = _rows(name)
    assert rows
    for row in rows:
        assert row["source"].strip(), row
        assert row["as_of"].strip(), row


@pytest.mark.parametrize("sheet", SHEETS)
def test_every_seed_price_has_a_source_and_date(sheet):
    rows = _rows(f"pricing/{sheet}.csv")
    assert rows
    for row in rows:
        assert row["source"].strip(), row
        assert row["effective_date"].strip(), row


def test_required_records_exist(catalog):
    assert set(REQUIRED_HARDWARE) <= set(catalog.hardware)
    assert set(REQUIRED_MODELS) <= set(catalog.models)


@pytest.mark.parametrize(
    ("hw_id", "bf16", "fp8"),
    [
        # NVIDIA datasheets print 2:4-sparse figures; the dense ones are half (reference README).
        ("h100-sxm", 989.4, 1978.9),  # datasheet 1,979 / 3,958 sparse
        ("h200-sxm", 989.4, 1978.9),
        ("b200", 2250, 4500),  # datasheet 4,500 / 9,000 sparse
        ("l40s", 362.05, 733),  # datasheet 733 / 1,466 sparse
        ("a100-80gb-sxm", 312, None),  # datasheet 624 sparse; no fp8
    ],
)
def test_hardware_figures_are_dense(catalog, hw_id, bf16, fp8):
    hw = catalog.get_hardware(hw_id)
    assert hw.bf16_dense_tflops == bf16
    assert hw.fp8_dense_tflops == fp8


def test_fp4_only_on_blackwell(catalog):
    for hw in catalog.hardware.values():
        assert (hw.fp4_dense_tflops is not None) == (hw.architecture == "blackwell"), hw.id


@pytest.mark.parametrize("model_id", [m for m in REQUIRED_MODELS] + ["llama-2-70b"])
def test_architecture_adds_up_to_published_parameter_counts(catalog, model_id):
    model = catalog.get_model(model_id)
    total, active = parameter_count(model)
    # Norms, biases and routers are left out of parameter_count: < 0.2 %; DeepSeek's published
    # "37B active" is rounded (37.4B from the architecture), hence 1.5 %.
    assert total == pytest.approx(model.total_params, rel=0.002)
    assert active == pytest.approx(model.active_params, rel=0.015)


def test_closed_model_is_labelled_an_estimate(catalog):
    closed = [m for m in catalog.models.values() if not m.open_weights]
    assert closed
    for m in closed:
        assert m.is_estimate and "UNOFFICIAL" in m.source


def test_aliases_resolve(catalog):
    assert catalog.get_hardware("H800").id == "h800-sxm"
    assert catalog.get_hardware("h200").id == "h200-sxm"
    assert catalog.get_model("deepseek-reasoner").id == "deepseek-r1"


def test_unknown_id_lists_closest(catalog):
    with pytest.raises(UnknownIdError) as info:
        catalog.get_hardware("h100-sxn")
    assert info.value.data["closest"][0] == "h100-sxm"
    assert str(info.value) == (
        "Unknown hardware 'h100-sxn'. Closest: h100-sxm, h800-sxm, h200-sxm. "
        "See `estimator catalog hardware` for all ids."
    )


@pytest.mark.parametrize(
    ("hw_id", "precision", "message"),
    [
        ("a100-80gb-sxm", "fp8", "NVIDIA A100 80GB SXM4 has no fp8 tensor cores. Use one of: fp64, tf32, bf16, fp16, or other hardware."),
        ("h100-sxm", "fp4", "NVIDIA H100 80GB SXM5 has no fp4 tensor cores. Use one of: fp64, tf32, bf16, fp16, fp8, or other hardware."),
    ],
)
def test_precision_the_hardware_lacks(catalog, hw_id, precision, message):
    with pytest.raises(UnsupportedPrecisionError) as info:
        catalog.get_hardware(hw_id).peak_tflops(precision)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"bf16_dense_tflops": "nan", "hbm_gb": 80, "hbm_bandwidth_tb_per_s": 3.35, "tdp_w": 700}, "'bf16_dense_tflops' must be finite, got 'nan'."),
        ({"bf16_dense_tflops": 0, "hbm_gb": 80, "hbm_bandwidth_tb_per_s": 3.35, "tdp_w": 700}, "'bf16_dense_tflops' must be greater than 0, got 0."),
        ({"bf16_dense_tflops": 100, "hbm_bandwidth_tb_per_s": 3.35, "tdp_w": 700}, "'hbm_gb' is required."),
        ({"bf16_dense_tflops": 100, "hbm_gb": "lots", "hbm_bandwidth_tb_per_s": 3.35, "tdp_w": 700}, "'hbm_gb' must be a number, got 'lots'."),
    ],
)
def test_inline_hardware_is_validated(row, message):
    with pytest.raises(CatalogError) as info:
        Hardware.from_mapping(row, inline=True)
    assert info.value.message == message


def test_seed_readme_documents_every_column():
    readme = (SEEDS_DIR / "README.md").read_text(encoding="utf-8")
    for name in ("hardware.csv", "models.csv", *(f"pricing/{sheet}.csv" for sheet in SHEETS)):
        for column in _rows(name)[0]:
            assert f"`{column}`" in readme, f"{name}: column {column} is not documented"


def test_unknown_long_id_is_cut_short(catalog):
    with pytest.raises(UnknownIdError) as info:
        catalog.get_model("x" * 10_000)
    assert len(str(info.value)) < 300
