"""The command line prints the API's object with --json, a table without, and clean errors."""

import json

import pytest

from estimator.cli import SERVING_BANDS, SERVING_VALUES, TRAINING_BANDS, run
from estimator.figures import Training as T
from estimator.inputs import training_request
from estimator.numbers import number_text
from estimator.training import estimate_training


def call(argv, capsys):
    lines = []
    code = run(argv, out=lines.append)
    captured = capsys.readouterr()
    return code, "\n".join(lines), captured.err


def test_json_is_exactly_the_core_result(capsys, catalog, book):
    code, out, _ = call(["training", "--model", "llama-3.1-405b", "--tokens", "15.6e12", "--hardware", "h100-sxm",
                         "--gpus", "16384", "--json"], capsys)
    assert code == 0
    expected = estimate_training(
        training_request(catalog, {"model": "llama-3.1-405b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 16384}),
        book, catalog).to_dict()
    assert json.loads(out) == json.loads(json.dumps(expected))


def test_table_has_every_band(capsys):
    code, out, _ = call(["training", "--params", "70e9", "--active-params", "13e9", "--tokens", "2e12",
                         "--hardware", "h200-sxm", "--deadline-days", "30"], capsys)
    assert code == 0
    for figure in TRAINING_BANDS:  # labelled as declared in estimator/figures.py, as on the web pages
        assert figure.heading in out
    assert "assumptions:" in out and "warnings:" in out


def test_training_table_shows_the_steady_state_and_the_layout(capsys):
    code, out, _ = call(["training", "--model", "llama-3.1-405b", "--tokens", "15.6e12", "--hardware", "h100-sxm",
                         "--gpus", "16384", "--json"], capsys)
    layout = json.loads(out)["steady_state"]["layout"]
    code, out, _ = call(["training", "--model", "llama-3.1-405b", "--tokens", "15.6e12", "--hardware", "h100-sxm",
                         "--gpus", "16384"], capsys)
    assert code == 0
    lines = out.splitlines()
    for figure in (T.TOKENS_PER_S_PER_GPU, T.MFU_STEADY):  # a low / mid / high row each
        assert len([line for line in lines if line.startswith(figure.heading)][0].split()) >= 3
    for figure in (T.TENSOR_PARALLEL, T.PIPELINE_PARALLEL, T.CONTEXT_PARALLEL, T.EXPERT_PARALLEL, T.DATA_PARALLEL):
        row = next(line for line in lines if line.startswith(figure.label + " "))
        assert row.split()[-2] == number_text(layout[figure.name])
    assert T.GLOBAL_BATCH_TOKENS.label in out


def test_training_table_without_the_step_model_leaves_the_steady_state_out(capsys):
    code, out, _ = call(["training", "--model", "llama-3.1-405b", "--tokens", "15.6e12", "--hardware", "h100-sxm",
                         "--gpus", "16384", "--utilisation", "0.4"], capsys)
    assert code == 0
    assert T.GPU_HOURS.heading in out
    for figure in (T.TOKENS_PER_S_PER_GPU, T.MFU_STEADY, T.TENSOR_PARALLEL, T.GLOBAL_BATCH_TOKENS):
        assert figure.label not in out


def test_serving_table_has_every_band_and_the_replica(capsys):
    code, out, _ = call(["inference", "--model", "deepseek-v3", "--hardware", "h200-sxm", "--precision", "fp8",
                         "--requests-per-s", "20", "--tpot-ms", "50"], capsys)
    assert code == 0
    for figure in SERVING_BANDS:
        assert figure.heading in out
    for figure in SERVING_VALUES:
        assert figure.label in out
    assert "public api price: $" in out  # deepseek-v3 has a public list price in the seed table


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "llama-3.1-405b", "--gpus", "8"], "Use at least 92 GPUs (12 nodes of 8)"),
        (["--model", "gpt-5"], "Unknown model 'gpt-5'."),
        (["--model", "llama-3.1-8b", "--hardware", "a100-80gb-sxm", "--precision", "fp8"], "has no fp8 tensor cores"),
    ],
)
def test_errors_exit_2_without_traceback(capsys, argv, message):
    base = {"--tokens": "1e12", "--hardware": "h100-sxm"}
    for i in range(0, len(argv), 2):
        base[argv[i]] = argv[i + 1]
    code, _, err = call(["training", *[x for kv in base.items() for x in kv]], capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("tokens", ["0", "-1", "nan", "inf", "lots"])
def test_bad_numbers_are_rejected_by_the_parser(capsys, tokens):
    with pytest.raises(SystemExit) as info:
        run(["training", "--model", "llama-3.1-8b", "--tokens", tokens, "--hardware", "h100-sxm"])
    assert info.value.code == 2
    assert "--tokens" in capsys.readouterr().err


def test_catalog_lists_sources(capsys):
    code, out, _ = call(["catalog", "hardware", "--json"], capsys)
    rows = json.loads(out)
    assert code == 0 and {r["id"] for r in rows} >= {"h100-sxm", "gb200"}
    assert all(r["source"] and r["as_of"] for r in rows)
    code, out, _ = call(["catalog", "models"], capsys)
    assert code == 0 and "deepseek-v3" in out


def test_validate_writes_report(tmp_path, capsys):
    target = tmp_path / "validation.md"
    code, out, _ = call(["validate", "--output", str(target)], capsys)
    assert code == 0
    text = target.read_text()
    assert "## Headline" in text and "cross-validated median abs. error" in text and "arXiv:2412.19437" in text


def test_compare_takes_the_training_options_the_api_takes(capsys, catalog, book):
    code, out, _ = call(["compare", "--models", "llama-3.1-8b,llama-3.1-70b", "--workload", "training",
                         "--hardware", "h100-sxm", "--tokens", "1e12", "--gpus", "512", "--goodput", "0.5",
                         "--recompute", "full", "--json"], capsys)
    assert code == 0
    rows = json.loads(out)["rows"]
    expected = estimate_training(training_request(catalog, {
        "model": "llama-3.1-70b", "hardware": "h100-sxm", "tokens": 1e12, "gpus": 512, "goodput": 0.5,
        "recompute": "full"}), book, catalog).to_dict()
    assert rows[1] == json.loads(json.dumps(expected))


def test_training_takes_a_parallel_layout(capsys, catalog, book):
    code, out, _ = call(["training", "--model", "llama-3.1-70b", "--tokens", "15e12", "--hardware", "h100-sxm",
                         "--gpus", "1024", "--tensor-parallel", "4", "--pipeline-parallel", "2", "--context-parallel",
                         "2", "--expert-parallel", "1", "--global-batch-tokens", "8e6", "--json"], capsys)
    assert code == 0
    layout = json.loads(out)["steady_state"]["layout"]
    assert layout | {"tensor_parallel": 4, "pipeline_parallel": 2, "context_parallel": 2, "expert_parallel": 1,
                     "global_batch_tokens": 8e6} == layout


@pytest.mark.parametrize("argv", [["--tensor-parallel", "0"], ["--pipeline-parallel", "2.5"],
                                  ["--global-batch-tokens", "-1"]])
def test_a_bad_layout_is_rejected_by_the_parser(capsys, argv):
    with pytest.raises(SystemExit) as info:
        run(["training", "--model", "llama-3.1-8b", "--tokens", "1e12", "--hardware", "h100-sxm", *argv])
    assert info.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_a_layout_with_utilisation_is_an_error(capsys):
    code, out, err = call(["training", "--model", "llama-3.1-8b", "--tokens", "1e12", "--hardware", "h100-sxm",
                           "--utilisation", "0.4", "--tensor-parallel", "2"], capsys)
    assert (code, out) == (2, "")
    assert "Give either 'utilisation'" in err and "Traceback" not in err


@pytest.mark.parametrize(("argv", "message"), [
    (["--workload", "inference", "--goodput", "0.5"], "--goodput does not apply to inference comparisons."),
    (["--workload", "training", "--requests-per-s", "3"], "--requests-per-s does not apply to training comparisons."),
    (["--workload", "inference", "--tensor-parallel", "2"], "--tensor-parallel does not apply to inference comparisons."),
])
def test_compare_never_ignores_an_option(capsys, argv, message):
    code, out, err = call(["compare", "--models", "llama-3.1-8b,llama-3.1-70b", "--hardware", "h100-sxm", *argv],
                          capsys)
    assert (code, out, err) == (2, "", f"estimator: error: {message}\n")


# --- compare --model M --hardware a,b (which GPU: estimator/compare_hardware.py) --------------------
HARDWARE_ARGS = ["compare", "--model", "llama-3.1-70b", "--workload", "inference", "--requests-per-s", "20",
                 "--ttft-ms", "500", "--tpot-ms", "30"]


def test_compare_hardware_json_is_the_core_result(capsys, catalog, book):
    from estimator.compare_hardware import compare_hardware

    code, out, _ = call([*HARDWARE_ARGS, "--hardware", "h100-sxm, h200-sxm,b200,l4", "--json"], capsys)
    assert code == 0
    expected = compare_hardware(catalog, book, "inference", "llama-3.1-70b", ["h100-sxm", "h200-sxm", "b200", "l4"],
                                {"requests_per_s": 20.0, "ttft_ms": 500.0, "tpot_ms": 30.0})
    assert json.loads(out) == json.loads(json.dumps(expected))


def test_compare_hardware_table_is_ranked(capsys):
    code, out, _ = call([*HARDWARE_ARGS, "--hardware", "h100-sxm,h200-sxm,b200,l4"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ("inference: llama-3.1-70b on 4 GPU entries, ranked by Cost per million output tokens, owning "
                        "(USD per million tokens) (mid, lowest first); ratios to h100-sxm:fp8")
    # rank, entry, low, mid, high, x baseline (the golden figures of tests/core/test_compare_hardware.py)
    assert lines[3].split() == ["1", "b200:fp4", "0.0713", "0.0895", "0.193", "0.297"]
    assert lines[4].split()[:2] == ["2", "h200-sxm:fp8"]
    assert lines[5].split() == ["3", "h100-sxm:fp8", "0.137", "0.301", "0.627", "1"]
    assert lines[6].startswith("   -  l4:fp8        cannot run: No batch meets tpot_ms=30")
    assert lines[8].split() == ["mid", "estimates", "b200:fp4", "h200-sxm:fp8", "h100-sxm:fp8"]


def test_compare_hardware_all_training(capsys, catalog):
    code, out, _ = call(["compare", "--model", "llama-3.1-8b", "--workload", "training", "--hardware", "ALL",
                         "--tokens", "1e12", "--gpus", "64", "--rank-by", "energy_mwh", "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["rank_by"] == "energy_mwh"
    assert sorted(r["hardware"] for r in result["rows"]) == sorted(catalog.hardware)


@pytest.mark.parametrize(("argv", "message"), [
    (["--hardware", "h100-sxm,h1000"],
     "Unknown hardware 'h1000'. Closest: h100-sxm, h100-pcie, h20. See `estimator catalog hardware` for all ids."),
    (["--hardware", "h100-sxm:fp9"],
     "Unknown precision 'fp9' in entry 'h100-sxm:fp9': write '<hardware>:<precision>' with one of bf16, fp16, fp8, "
     "fp4, int4 (inference), e.g. 'h100-sxm:bf16'."),
    (["--hardware", "h100-sxm,h100:fp8"],
     "Entry 1 ('h100:fp8') is h100-sxm:fp8, like entry 0: each GPU and precision may appear once (give another "
     "precision with ':', e.g. ':bf16')."),
    (["--hardware", "h100-sxm", "--rank-by", "speed"],
     "Cannot rank inference by 'speed': use one of gpus, replicas, cost_usd_per_million_output_tokens_own, "
     "cost_usd_per_million_output_tokens_rent, provisioned_power_kw, energy_mwh_per_day, joules_per_token, ttft_ms, "
     "tpot_ms."),
    (["--hardware", "h100-sxm", "--usd-per-gpu-hour", "2"],
     "--usd-per-gpu-hour takes its prices per GPU from the pricing table (--pricing-table)."),
    (["--hardware", "h100-sxm", "--goodput", "0.5"], "--goodput does not apply to inference comparisons."),
])
def test_compare_hardware_bad_input_exits_2(capsys, argv, message):
    code, out, err = call([*HARDWARE_ARGS, *argv], capsys)
    assert (code, out, err) == (2, "", f"estimator: error: {message}\n")


def test_rank_by_goes_with_a_hardware_comparison(capsys):
    code, out, err = call(["compare", "--models", "llama-3.1-8b,llama-3.1-70b", "--workload", "inference",
                           "--hardware", "h100-sxm", "--rank-by", "gpus"], capsys)
    assert (code, out) == (2, "")
    assert err == "estimator: error: --rank-by ranks GPUs: it goes with --model and a list of --hardware.\n"


def test_training_takes_a_pipeline_schedule(capsys):
    code, out, _ = call(["training", "--model", "deepseek-v3", "--hardware", "h800-sxm", "--precision", "fp8",
                         "--tokens", "14.8e12", "--gpus", "2048", "--sequence-tokens", "4096", "--tensor-parallel", "1",
                         "--pipeline-parallel", "16", "--expert-parallel", "64", "--pipeline-schedule", "dualpipe",
                         "--json"], capsys)
    assert code == 0
    assumptions = {a["name"]: a for a in json.loads(out)["assumptions"]}
    assert assumptions["pipeline_schedule"]["value"] == "dualpipe" and "expert_parallel_overlap" not in assumptions
    code, _, err = call(["training", "--model", "deepseek-v3", "--hardware", "h800-sxm", "--gpus", "2048",
                         "--pipeline-schedule", "dualpipe", "--sensitivity"], capsys)
    assert code != 0 and "--pipeline-schedule" in err
