"""memo.kept (issue 14): answers kept by arguments and their types; arrays computed, not kept;
bounded; and an estimate with every answer kept equals the one computed afresh."""

import numpy as np
import pytest

from estimator import calibrate, training
from estimator.cost import load_price_book
from estimator.memo import kept
from estimator.training import TrainingRequest, estimate_training


def test_answers_are_kept_by_value_and_type():
    calls = []

    @kept(8)
    def double(x):
        calls.append(x)
        return x * 2

    assert double(2) == 4 and double(2) == 4
    assert double(2.0) == 4.0 and type(double(2.0)) is float  # equal to 2, but another type: its own answer
    assert calls == [2, 2.0]


def test_arrays_are_computed_and_not_kept():
    calls = []

    @kept(8)
    def total(values):
        calls.append(1)
        return float(np.sum(values))

    assert total(np.array([1.0, 2.0])) == 3.0 and total(np.array([1.0, 2.0])) == 3.0
    assert len(calls) == 2 and total.memo == {}


def test_the_memo_stays_bounded():
    @kept(3)
    def same(x):
        return x

    for x in range(10):
        same(x)
    assert len(same.memo) <= 3


def test_errors_are_not_kept():
    @kept(8)
    def refuse(x):
        raise ValueError(x)

    for _ in range(2):
        with pytest.raises(ValueError):
            refuse(1)
    assert refuse.memo == {}


@pytest.fixture(scope="module")
def request_and_book(catalog):
    return TrainingRequest(catalog.get_model("llama-3.1-70b"), catalog.get_hardware("h100-sxm"), 15e12,
                           gpus=2048), load_price_book()


def test_a_kept_estimate_equals_a_fresh_one(request_and_book, catalog):
    req, book = request_and_book
    first = estimate_training(req, book, catalog).to_dict()
    again = estimate_training(req, book, catalog).to_dict()
    assert again == first
    again["assumptions"][0]["name"] = "changed"  # a caller's change reaches no kept answer
    again["memory"]["state_gb"] = -1.0
    again["steady_state"]["layout"]["tensor_parallel"] = -1
    assert estimate_training(req, book, catalog).to_dict() == first


def test_defaults_patched_while_fitting_are_part_of_the_key(request_and_book, catalog):
    req, book = request_and_book
    before = estimate_training(req, book, catalog)
    with calibrate.patched(ELEMENTWISE_FACTOR=training.d.ELEMENTWISE_FACTOR * 2, GOODPUT=training.d.GOODPUT):
        patched = estimate_training(req, book, catalog)
    assert patched.gpu_hours != before.gpu_hours
    assert estimate_training(req, book, catalog) == before
