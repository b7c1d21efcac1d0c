"""Issue 14's wording leftovers in the core and the CLI: assumption labels in words with the
column meaning said, the parallel layout's whole numbers grouped, one default deadline."""

from estimator import corpus, defaults
from estimator.cli import run
from estimator.figures import assumption_label


def test_the_cli_labels_assumptions_in_words_and_groups_the_layout(capsys):
    code = run(["training", "--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--gpus", "64"])
    out = capsys.readouterr().out
    assert code == 0
    section = out.split("assumptions:\n", 1)[1]
    assert section.startswith("  (a band reads low/mid/high: the input used for the low/mid/high estimate)\n")
    assert f"  {assumption_label('gpu_tdp_w')} = 700 W" in section  # 'GPU board power (TDP)'
    assert "gpu_tdp_w" not in section and "Parallel layout = " in section
    # The default layout of 64 GPUs: data-parallel 64, a 4 Mi-token global batch (was 4.1943e+06).
    assert "data_parallel=64, global_batch_tokens=4,194,304" in section


def test_the_corpus_sizes_runs_without_a_gpu_count_for_the_default_deadline():
    assert corpus.RUN_DAYS_WHEN_UNKNOWN is defaults.DEFAULT_DEADLINE_DAYS
