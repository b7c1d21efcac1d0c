"""The result cache (estimator/app/results.py): identical requests on the same day get the same bytes
without computing again; anything an estimate depends on that can change gives a fresh one."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimator.app import create_app
from estimator.app.results import ResultCache
from estimator.app.run import run_training
from estimator.app.state import ready_state

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TRAINING = {"model": "llama-3.1-8b", "hardware": "h100-sxm", "tokens": 1e12, "gpus": 64}
INFERENCE = {"model": "llama-3.1-70b", "hardware": "h100-sxm", "precision": "fp8", "requests_per_s": 10}
COMPARE = {"workload": "inference", "preset": "article", "hardware": "h200-sxm"}
GPU_CSV = ("provider,region,gpu,pricing_model,usd_per_gpu_hour,product,effective_date,source,notes\n"
           "Acme Cloud,,h100-sxm,on_demand,{price},,2025-06-01,Acme quote 42,\n")


def results(app) -> ResultCache:
    return app.extensions["estimator"].results


@pytest.fixture
def app():
    return create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN})


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/estimates/training", TRAINING),
    ("/api/v1/estimates/inference", INFERENCE),
    ("/api/v1/compare", COMPARE),
])
def test_an_identical_request_is_answered_from_the_cache_with_the_same_bytes(app, path, body):
    client = app.test_client()
    first = client.post(path, json=body)
    assert first.status_code == 200
    assert (results(app).hits, results(app).misses) == (0, 1)
    reordered = dict(reversed(list(body.items())))  # field order does not matter
    second = client.post(path, json=reordered)
    assert second.status_code == 200
    assert (results(app).hits, results(app).misses) == (1, 1)
    assert second.data == first.data
    assert second.mimetype == "application/json"

    uncached = create_app({"TESTING": True, "RESULT_CACHE_BYTES": 0}).test_client().post(path, json=body)
    assert uncached.data == first.data  # the cache changes no byte of the answer


def test_a_different_request_is_computed_afresh(app):
    client = app.test_client()
    one = client.post("/api/v1/estimates/training", json=TRAINING).get_json()
    two = client.post("/api/v1/estimates/training", json={**TRAINING, "gpus": 128}).get_json()
    assert (results(app).hits, results(app).misses) == (0, 2)
    assert two["gpu_count"] == 128 and one["gpu_count"] == 64


def test_a_new_version_of_the_named_table_is_used_at_once(app):
    """The key holds the version an estimate resolved to, so an upload, activation or rollback
    changes the answer on the next request."""
    client = app.test_client()

    def upload(price):
        data = {"file": (io.BytesIO(GPU_CSV.format(price=price).encode()), "gpu.csv"), "sheet": "gpu_prices"}
        response = client.post("/api/v1/pricing-tables/acme/versions", data=data, headers=AUTH,
                               content_type="multipart/form-data")
        assert response.status_code == 201

    def rent():
        body = client.post("/api/v1/estimates/training", json={**TRAINING, "pricing_table": "acme"}).get_json()
        return body["pricing"]["version"], body["cost_usd"]["rent"]["mid"]

    upload("2.00")
    version, two = rent()
    assert version == 1
    assert rent() == (1, two)  # answered from the cache
    upload("1.00")
    version, one = rent()
    assert version == 2
    assert one == pytest.approx(two / 2, rel=1e-5)
    assert client.post("/api/v1/pricing-tables/acme/rollback", headers=AUTH).status_code == 200
    assert rent() == (1, two)


def test_errors_are_not_kept(app):
    client = app.test_client()
    body = {"model": "llama-3.1-405b", "hardware": "h100-sxm", "tokens": 1e12, "gpus": 8}  # does not fit
    for _ in range(2):
        response = client.post("/api/v1/estimates/training", json=body)
        assert response.status_code == 409
    assert results(app).size_bytes == 0
    assert results(app).hits == 0


def test_the_pages_get_a_dict_of_their_own(app):
    """The pages receive a fresh dict per call: changing one cannot change the next answer."""
    with app.test_request_context():
        first = run_training(ready_state(), TRAINING)
        expected = json.loads(json.dumps(first))
        first["gpu_hours"]["mid"] = -1.0
        first["warnings"].append("changed")
        assert run_training(ready_state(), TRAINING) == expected
        assert results(app).hits == 1


def test_the_day_is_part_of_the_key():
    """A price's age decides its staleness warning, so a result is never reused on another day."""
    cache = ResultCache(1 << 20)
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    day = dt.date(2026, 11, 28)
    assert cache.encoded("training", {"a": 1}, "seed", compute, today=day) == b'{"n":1}\n'
    assert cache.encoded("training", {"a": 1}, "seed", compute, today=day) == b'{"n":1}\n'
    assert cache.encoded("training", {"a": 1}, "seed", compute, today=day + dt.timedelta(days=1)) == b'{"n":2}\n'
    assert cache.encoded("training", {"a": 1}, "acme@1", compute, today=day) == b'{"n":3}\n'
    assert cache.encoded("inference", {"a": 1}, "seed", compute, today=day) == b'{"n":4}\n'
    assert (cache.hits, cache.misses) == (1, 4)


def test_the_cache_holds_at_most_its_bytes_and_drops_the_least_recently_used():
    cache = ResultCache(40)  # each value below is 12 bytes (`{"value":0}` and a newline): three fit
    day = dt.date(2026, 11, 28)
    for i in range(4):
        cache.encoded("t", {"i": i}, "seed", lambda i=i: {"value": i}, today=day)
    assert cache.size_bytes == 36
    cache.encoded("t", {"i": 0}, "seed", lambda: {"value": "recomputed"}, today=day)  # 0 was dropped
    assert (cache.hits, cache.misses) == (0, 5)
    assert cache.encoded("t", {"i": 3}, "seed", lambda: {"value": "no"}, today=day) == b'{"value":3}\n'
    big = cache.encoded("t", {"big": True}, "seed", lambda: {"value": "x" * 100}, today=day)
    assert len(big) > 40 and cache.size_bytes <= 40  # too large to keep, still answered


def test_values_json_cannot_hold_are_computed_every_time():
    cache = ResultCache(1 << 20)
    for _ in range(2):
        assert cache.encoded("t", {"when": object()}, "seed", lambda: {"v": 1}) == b'{"v":1}\n'
    assert (cache.hits, cache.misses, cache.size_bytes) == (0, 0, 0)


def test_zero_bytes_turns_the_cache_off():
    app = create_app({"TESTING": True, "RESULT_CACHE_BYTES": 0})
    client = app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/estimates/training", json=TRAINING).status_code == 200
    assert (results(app).hits, results(app).misses, results(app).size_bytes) == (0, 0, 0)


def test_a_negative_size_stops_start_up():
    with pytest.raises(ValueError, match=r"RESULT_CACHE_BYTES must be 0 \(no cache\) or more\."):
        create_app({"TESTING": True, "RESULT_CACHE_BYTES": -1})


def test_threads_sharing_a_small_cache_each_get_their_own_answer():
    """gthread workers serve several requests at once: with evictions going on all the time, every
    answer is still the one for its own request."""
    cache = ResultCache(200)  # a handful of entries: constant eviction
    day = dt.date(2026, 11, 28)
    failures: list[str] = []

    def worker(seed: int) -> None:
        for i in range(2000):
            n = (seed * 7 + i) % 23
            got = cache.encoded("t", {"n": n}, "seed", lambda n=n: {"n": n}, today=day)
            if got != f'{{"n":{n}}}\n'.encode():
                failures.append(f"{n}: {got!r}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert cache.hits + cache.misses == 16_000
    assert cache.hits > 0 and cache.size_bytes <= 200


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    model=st.sampled_from(["llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "deepseek-v3"]),
    tokens=st.floats(1e9, 2e13),
    gpus=st.sampled_from([64, 512, 2048, 16384]),
)
def test_cached_answers_equal_computed_ones(model, tokens, gpus):
    """Asked twice, a cached app answers exactly what an app without the cache computes."""
    body = {"model": model, "hardware": "h200-sxm", "tokens": tokens, "gpus": gpus}
    cached, plain = _apps()
    first = cached.post("/api/v1/estimates/training", json=body)
    again = cached.post("/api/v1/estimates/training", json=body)
    computed = plain.post("/api/v1/estimates/training", json=body)
    assert first.status_code == computed.status_code
    assert first.data == again.data == computed.data


_APPS: list = []


def _apps():
    if not _APPS:
        _APPS.extend([create_app({"TESTING": True}).test_client(),
                      create_app({"TESTING": True, "RESULT_CACHE_BYTES": 0}).test_client()])
    return _APPS


def test_long_request_texts_do_not_grow_the_cache_beyond_its_bound():
    """The key is a 32-byte digest of the request, whatever its size (a custom record may carry long
    texts that the result does not repeat), so the byte bound on the values bounds the cache."""
    cache = ResultCache(1 << 20)
    huge = {"hardware": {"id": "custom", "source": "x" * 300_000, "aliases": "y" * 300_000}}
    assert len(cache._key("training", huge, "seed", dt.date(2026, 11, 28))) == 32
    cache.encoded("training", huge, "seed", lambda: {"v": 1})
    assert cache.size_bytes == len(b'{"v":1}\n')


def test_a_body_seen_before_is_answered_before_it_is_parsed_and_checked(app, monkeypatch):
    """Issue 14: the estimate endpoints look the raw body up first (``cached_answers.py``); the
    answer is the same bytes, and a body sent the wrong way is refused as before."""
    from estimator.app import cached_answers

    parsed = []
    real = cached_answers.loads_strict
    monkeypatch.setattr(cached_answers, "loads_strict", lambda *a: parsed.append(1) or real(*a))
    client = app.test_client()
    raw = json.dumps(TRAINING).encode()
    first = client.post("/api/v1/estimates/training", data=raw, content_type="application/json")
    second = client.post("/api/v1/estimates/training", data=raw, content_type="application/json")
    assert first.status_code == second.status_code == 200
    assert second.data == first.data
    assert len(parsed) == 1  # the second was answered without parsing its body
    assert (results(app).hits, results(app).misses) == (1, 1)
    wrong = client.post("/api/v1/estimates/training", data=raw, content_type="text/plain")
    assert wrong.status_code == 415
    other = client.post("/api/v1/estimates/inference", data=raw, content_type="application/json")
    assert other.status_code == 422  # the same bytes to another endpoint are that endpoint's to check
    cut = client.post("/api/v1/estimates/training", data=raw[:-1], content_type="application/json")
    assert cut.status_code == 400


def test_a_body_seen_before_with_its_result_evicted_is_computed_again():
    app = create_app({"TESTING": True, "RESULT_CACHE_BYTES": 30_000})  # about one answer
    client = app.test_client()
    first = client.post("/api/v1/estimates/training", json=TRAINING)
    client.post("/api/v1/estimates/training", json={**TRAINING, "gpus": 128})  # evicts the first
    again = client.post("/api/v1/estimates/training", json=TRAINING)
    assert again.data == first.data
    assert results(app).misses == 3
