"""GET /api/v1/...: every field of every record, with its source."""

from __future__ import annotations

import csv
import dataclasses

import pytest

from estimator.catalog import SEEDS_DIR, Hardware, Model, load_catalog


def as_json(record):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(record).items()}


@pytest.mark.parametrize(("kind", "attr"), [("hardware", "hardware"), ("models", "models")])
def test_list_is_every_record_with_every_field(client, kind, attr):
    response = client.get(f"/api/v1/{kind}")
    records = list(getattr(load_catalog(), attr).values())

    assert response.status_code == 200
    assert response.get_json() == [as_json(r) for r in records]
    for row in response.get_json():
        assert row["source"] and row["as_of"]


@pytest.mark.parametrize(
    ("kind", "csv_name", "record_type"), [("hardware", "hardware.csv", Hardware), ("models", "models.csv", Model)]
)
def test_list_covers_every_seed_row_and_column(client, kind, csv_name, record_type):
    with (SEEDS_DIR / csv_name).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        ids = [row["id"] for row in reader]
        columns = set(reader.fieldnames or ())
    rows = client.get(f"/api/v1/{kind}").get_json()
    assert [r["id"] for r in rows] == ids
    assert columns <= set(rows[0]) == {f.name for f in dataclasses.fields(record_type)}


@pytest.mark.parametrize(
    ("path", "expected_id"),
    [
        ("/api/v1/hardware/h100-sxm", "h100-sxm"),
        ("/api/v1/hardware/A100", "a100-80gb-sxm"),
        ("/api/v1/models/llama-3.1-405b", "llama-3.1-405b"),
        ("/api/v1/models/llama-3-8b", "llama-3.1-8b"),
    ],
)
def test_one_record_by_id_or_alias(client, path, expected_id):
    catalog = load_catalog()
    record = catalog.hardware.get(expected_id) or catalog.models[expected_id]
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_json() == as_json(record)


@pytest.mark.parametrize(
    ("path", "kind", "given"),
    [
        ("/api/v1/models/llama-3.1-450b", "model", "llama-3.1-450b"),
        ("/api/v1/hardware/h1000", "hardware", "h1000"),
    ],
)
def test_unknown_id_is_404_with_closest(client, problem, path, kind, given):
    catalog = load_catalog()
    getter = catalog.get_model if kind == "model" else catalog.get_hardware
    with pytest.raises(LookupError) as info:
        getter(given)
    exc = info.value

    response = client.get(path)

    assert response.status_code == 404
    assert exc.data["closest"], "the fixture ids have close matches"
    assert response.get_json() == problem(
        404,
        "Unknown model or hardware id",
        exc.message,
        type_="/problems/unknown-id",
        errors=[
            {
                "pointer": None,
                "detail": exc.message,
                "code": "unknown_id",
                "given": given,
                "closest": exc.data["closest"],
            }
        ],
    )
