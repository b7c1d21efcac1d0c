"""A training run with neither a GPU count nor a deadline is sized for the default 90-day deadline
(``defaults.DEFAULT_DEADLINE_DAYS``), said first among the fleet's warnings and listed as an
assumption with its reason; before, it quietly got the fewest nodes that fit in memory (Llama 3.1
405B on 15.6T tokens: 96 H100s for 38 years)."""

from __future__ import annotations

import json
import math

import pytest

from estimator import defaults
from estimator import training as tr
from estimator.cli import run
from estimator.inputs import training_request

WARNING = ("Neither 'gpus' nor 'deadline_days' given: the fleet is sized to finish in 90 days, the default deadline "
           "(published pre-training runs took 21-118 days). Give a GPU count or a deadline for your own.")


def estimate(catalog, book, **values):
    return tr.estimate_training(training_request(catalog, values), book, catalog)


def test_no_gpus_and_no_deadline_is_a_ninety_day_deadline(catalog, book):
    """The result is exactly the one of deadline_days=90, plus the warning and the assumption."""
    implicit = estimate(catalog, book, model="llama-3.1-405b", tokens=15.6e12, hardware="h100-sxm")
    explicit = estimate(catalog, book, model="llama-3.1-405b", tokens=15.6e12, hardware="h100-sxm", deadline_days=90)
    assert implicit.gpu_count == explicit.gpu_count
    assert implicit.gpu_hours == explicit.gpu_hours and implicit.wall_clock_days == explicit.wall_clock_days
    assert implicit.gpu_count_for_deadline == explicit.gpu_count_for_deadline
    # GPUs = ceil(mid GPU-hours / (90 days x 24 h)); the mid run then takes just under 90 days
    assert implicit.gpu_count == math.ceil(implicit.gpu_hours.mid / (90 * 24))
    assert 89 < implicit.wall_clock_days.mid <= 90
    assert implicit.gpu_count > 10_000  # not the 96 GPUs that fit in memory
    assert WARNING in implicit.warnings and WARNING not in explicit.warnings
    [assumption] = [a for a in implicit.assumptions if a.name == "deadline_days"]
    assert (assumption.value, assumption.unit, assumption.source) == (90.0, "days", defaults.DEFAULT_DEADLINE_SOURCE)
    assert not any(a.name == "deadline_days" for a in explicit.assumptions)


def test_the_warning_comes_before_the_other_fleet_warnings(catalog, book):
    """A small model: memory needs more GPUs than the 90-day deadline; both are said, the default first."""
    est = estimate(catalog, book, model="llama-3.1-8b", tokens=1e9, hardware="h100-sxm")
    fleet = [w for w in est.warnings if "deadline" in w]
    assert fleet[0] == WARNING
    assert fleet[1].startswith("The deadline needs only 1 GPUs, but memory needs")


def test_a_gpu_count_or_a_deadline_is_used_as_given(catalog, book):
    given = estimate(catalog, book, model="llama-3.1-70b", tokens=15e12, hardware="h100-sxm", gpus=1024)
    assert given.gpu_count == 1024 and given.gpu_count_for_deadline is None
    assert not any("Neither 'gpus'" in w for w in given.warnings)
    deadline = estimate(catalog, book, model="llama-3.1-70b", tokens=15e12, hardware="h100-sxm", deadline_days=30)
    assert deadline.wall_clock_days.mid <= 30 and not any("Neither 'gpus'" in w for w in deadline.warnings)


def test_the_cli_says_it(capsys, catalog, book):
    lines: list[str] = []
    assert run(["training", "--model", "deepseek-v3", "--hardware", "h800", "--precision", "fp8", "--json"],
               out=lines.append) == 0
    result = json.loads("\n".join(lines))
    assert WARNING in result["warnings"]
    assert {"name": "deadline_days", "value": 90.0, "unit": "days", "source": defaults.DEFAULT_DEADLINE_SOURCE} in (
        result["assumptions"])
    assert result["wall_clock_days"]["mid"] == pytest.approx(90, abs=0.1)
