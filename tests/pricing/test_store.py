"""The versioned pricing store: every operation, on SQLite and on PostgreSQL (``store`` fixture)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from pricing.errors import (
    PricingStoreUnavailable,
    PricingTableError,
    UnknownPricingTable,
    UnknownVersion,
)
from pricing.store import (
    DiffTooLarge,
    PricingStore,
    RowChange,
    parse_ref,
    pricing_activations,
    pricing_digests,
    pricing_rows,
    pricing_tables,
    pricing_versions,
)
from pricing.tables import TABLES

H100 = {"provider": "Lambda", "region": "us-east-1", "gpu": "h100-sxm", "pricing_model": "on_demand",
        "usd_per_gpu_hour": 2.99, "product": "8x H100 SXM", "effective_date": "2025-03-01",
        "source": "Lambda pricing page, 2025-03-01", "notes": None}
A100 = {**H100, "gpu": "a100-sxm-80gb", "usd_per_gpu_hour": 1.79, "product": "8x A100 SXM"}
TEXAS = {"region": "Texas", "usd_per_kwh": 0.066, "pue": 1.2, "grid_kgco2_per_kwh": None,
         "effective_date": "2025-03-01", "source": "EIA 2025", "notes": "industrial rate ✓"}
OHIO = {**TEXAS, "region": "Ohio", "usd_per_kwh": 0.071}
DGX = {"item": "h100-sxm", "product": "DGX H100", "vendor": "NVIDIA", "scope": "server", "usd_capex": 300000,
       "gpus_per_unit": 8, "amortization_years": None, "effective_date": "2025-01-15", "source": "quote Q-17",
       "notes": None}


def import_(store: PricingStore, name: str = "acme", sheets: dict | None = None, **kwargs):
    kwargs.setdefault("file_name", "prices.xlsx")
    kwargs.setdefault("created_by", "admin")
    return store.import_version(name, sheets if sheets is not None else {"gpu_prices": [H100]}, **kwargs)


def counts(store: PricingStore) -> dict[str, int]:
    """Rows in each store table: what an atomic failure must leave untouched."""
    with store.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (pricing_tables, pricing_versions, pricing_rows, pricing_activations)}


# --- import ------------------------------------------------------------------------------------


def test_first_import_creates_the_table_and_activates_version_1(store: PricingStore) -> None:
    info = import_(store, sheets={"energy": [TEXAS, OHIO], "gpu_prices": [H100]}, note="Q3 quote")
    payload = info.to_dict()
    created_at = datetime.fromisoformat(payload.pop("created_at"))
    assert payload == {
        "table": "acme", "number": 1, "ref": "acme@1", "created_by": "admin", "file_name": "prices.xlsx",
        "row_counts": {"gpu_prices": 1, "energy": 2}, "rows": 3, "note": "Q3 quote", "active": True,
    }
    assert list(payload["row_counts"]) == ["gpu_prices", "energy"]  # the declared order, not the given one
    assert created_at.utcoffset() == timedelta(0)
    assert info.created_at.tzinfo is not None and info.created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=1)
    json.dumps(payload)
    assert store.versions("acme") == [info]  # what import returns is what is stored, to the microsecond


def test_next_version_is_max_plus_one_and_activate_false_keeps_the_active_one(store: PricingStore) -> None:
    assert [import_(store).number for _ in range(3)] == [1, 2, 3]
    fourth = import_(store, sheets={"energy": [TEXAS]}, activate=False, file_name="draft.csv")
    assert (fourth.number, fourth.active) == (4, False)
    assert [(v.number, v.active, v.file_name) for v in store.versions("acme")] == [
        (1, False, "prices.xlsx"), (2, False, "prices.xlsx"), (3, True, "prices.xlsx"), (4, False, "draft.csv")]
    assert store.version("acme").info.number == 3
    assert import_(store, name="other").number == 1  # numbering is per table


def test_a_new_table_imported_without_activation_has_no_active_version(store: PricingStore) -> None:
    import_(store, name="draft", activate=False)
    [table] = store.tables()
    assert (table.name, table.active_version, table.latest_version) == ("draft", None, 1)
    with pytest.raises(PricingTableError, match="'draft' has no active version: activate one .*'draft@N'"):
        store.version("draft")
    assert store.version("draft", 1).sheets == {"gpu_prices": [H100]}
    assert store.activate("draft", 1).active


def test_rows_come_back_exactly_as_given(store: PricingStore) -> None:
    odd = {**TEXAS, "region": "Zürich \"quoted\" \\ 'x' \x00 end", "usd_per_kwh": 1e-9, "pue": 1,
           "notes": "line\nbreak 😀 \u2028", "extra_flag": True, "big": 2**62}
    sheets = {"energy": [TEXAS, odd, OHIO], "gpu_prices": [H100, A100], "hardware_costs": [DGX], "api_prices": []}
    import_(store, sheets=sheets)
    stored = store.version("acme", 1)
    assert stored.sheets == {"gpu_prices": [H100, A100], "hardware_costs": [DGX], "energy": [TEXAS, odd, OHIO],
                             "api_prices": []}
    assert list(stored.sheets["energy"][1]) == list(odd)  # column order kept
    assert type(stored.sheets["energy"][1]["pue"]) is int
    assert stored.info.row_counts == {"gpu_prices": 2, "hardware_costs": 1, "energy": 3, "api_prices": 0}
    payload = stored.to_dict()
    assert payload["sheets"]["energy"][0] == TEXAS and payload["ref"] == "acme@1"
    json.dumps(payload)


def test_versions_are_immutable(store: PricingStore) -> None:
    import_(store, sheets={"energy": [TEXAS]})
    before = store.version("acme", 1)
    before.sheets["energy"][0]["usd_per_kwh"] = 99.0  # changing what a read returned changes nothing stored
    import_(store, sheets={"energy": [OHIO]})
    store.activate("acme", 1)
    store.rollback("acme")
    after = store.version("acme", 1)
    assert after.sheets == {"energy": [TEXAS]}
    assert after.info.created_at == before.info.created_at and after.info.file_name == before.info.file_name
    with pytest.raises(AttributeError):
        after.info.number = 2  # type: ignore[misc]


# --- refused imports change nothing ------------------------------------------------------------


def test_an_unknown_sheet_refuses_the_whole_import(store: PricingStore) -> None:
    import_(store)
    before = counts(store)
    with pytest.raises(PricingTableError) as caught:
        import_(store, sheets={"energy": [TEXAS], "gpu_price": [H100], "Notes": []})
    message = str(caught.value)
    assert message.startswith("Unknown sheets 'gpu_price', 'Notes': a pricing table holds the sheets gpu_prices, "
                              "hardware_costs, energy, colocation, api_prices.")
    assert caught.value.data["given"] == ["gpu_price", "Notes"]
    with pytest.raises(PricingTableError, match="Unknown sheet 'bogus'"):
        import_(store, name="brand-new", sheets={"bogus": [{}]})
    assert counts(store) == before
    assert [t.name for t in store.tables()] == ["acme"]


@pytest.mark.parametrize(("sheets", "expected"), [
    ({}, "No sheets to import"),
    ({"energy": [{**TEXAS, "usd_per_kwh": float("nan")}]}, r"Sheet energy, row index 0, column usd_per_kwh: nan"),
    ({"energy": [TEXAS, {**TEXAS, "pue": float("inf")}]}, "row index 1, column pue: inf cannot be stored"),
    ({"energy": [{**TEXAS, "effective_date": date(2025, 3, 1)}]}, r"dates as ISO text"),
    ({"energy": [{**TEXAS, "notes": ["a"]}]}, "column notes"),
    ({"energy": [["Texas", 0.066]]}, "a row must be a mapping"),
    ({"energy": [{1: "x"}]}, "column names must be text"),
    ({"energy": "Texas"}, "rows must be a list"),
], ids=["no-sheets", "nan", "inf", "date-object", "list-value", "row-not-mapping", "int-column", "str-rows"])
def test_unstorable_values_refuse_the_whole_import(store: PricingStore, sheets: dict, expected: str) -> None:
    import_(store)
    before = counts(store)
    with pytest.raises(PricingTableError, match=expected):
        import_(store, sheets={"gpu_prices": [H100], **sheets} if sheets else sheets)
    assert counts(store) == before


def test_a_database_failure_mid_import_leaves_nothing_behind(store: PricingStore) -> None:
    import_(store)
    before = counts(store)

    def fail_on_activation(conn, cursor, statement, parameters, context, executemany):
        # The activation is written last, after the version and its rows.
        if statement.lstrip().upper().startswith("INSERT INTO PRICING_ACTIVATIONS"):
            raise RuntimeError("disk full (simulated)")

    event.listen(store.engine, "before_cursor_execute", fail_on_activation)
    try:
        with pytest.raises(RuntimeError, match="simulated"):
            import_(store, sheets={"energy": [TEXAS]})
        with pytest.raises(RuntimeError, match="simulated"):
            import_(store, name="brand-new")
    finally:
        event.remove(store.engine, "before_cursor_execute", fail_on_activation)
    assert counts(store) == before
    assert import_(store).number == 2  # the failed attempt used up no number


@pytest.mark.parametrize("name", [
    "", "Acme", "acme 2026", "-acme", "_acme", "acme/1", "acme@2", "a" * 64, "acmé", " acme", "acme\n", "..",
])
def test_bad_table_names_are_refused(store: PricingStore, name: str) -> None:
    with pytest.raises(PricingTableError, match="Invalid pricing table name .*lower-case letters, digits"):
        import_(store, name=name)
    assert store.tables() == []


def test_bad_name_message_suggests_the_lower_case_name(store: PricingStore) -> None:
    with pytest.raises(PricingTableError, match=r"Invalid pricing table name 'Acme-2026Q3'.*Try 'acme-2026q3'\."):
        import_(store, name="Acme-2026Q3")


def test_good_table_names_are_accepted(store: PricingStore) -> None:
    for name in ("a", "0", "acme-2026q3", "acme_eu", "a" * 63):
        assert import_(store, name=name).table == name


def test_the_seed_table_is_read_only(store: PricingStore) -> None:
    with pytest.raises(PricingTableError, match="The 'seed' pricing table is built in and read-only") as caught:
        import_(store, name="seed")
    assert caught.value.code == "invalid_pricing_table"
    for write in (lambda: store.activate("seed", 1), lambda: store.rollback("seed")):
        with pytest.raises(PricingTableError, match="built in and read-only"):
            write()
    with pytest.raises(UnknownPricingTable):  # the store does not hold it; the price book reads seeds/
        store.version("seed")


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"created_by": ""}, "created_by must not be blank"),
    ({"created_by": None}, "created_by must be text"),
    ({"file_name": "x" * 256}, "file_name is 256 characters long; at most 255"),
    ({"file_name": "a\x00.csv"}, "file_name contains a NUL character"),
    ({"file_name": "\udcff.csv"}, "file_name is not valid Unicode text"),
    ({"note": 3}, "note must be text"),
])
def test_bad_metadata_is_refused(store: PricingStore, kwargs: dict, expected: str) -> None:
    with pytest.raises(PricingTableError, match=expected):
        import_(store, **kwargs)
    assert store.tables() == []


# --- reads -------------------------------------------------------------------------------------


def test_tables_lists_every_table_by_name(store: PricingStore) -> None:
    assert store.tables() == []
    first = import_(store, name="zeta")
    import_(store, name="acme")
    last = import_(store, name="acme", activate=False)
    acme, zeta = store.tables()
    assert acme.to_dict() == {"name": "acme", "active_version": 1, "latest_version": 2, "versions": 2,
                              "created_at": acme.created_at.isoformat(), "updated_at": last.created_at.isoformat()}
    assert (zeta.name, zeta.versions, zeta.created_at, zeta.updated_at) == ("zeta", 1, first.created_at,
                                                                             first.created_at)
    activated = store.activate("acme", 2)
    acme = store.tables()[0]
    assert acme.active_version == 2 and acme.updated_at > last.created_at
    assert activated.active and activated.number == 2


def test_version_reads_the_active_version_or_the_one_named(store: PricingStore) -> None:
    import_(store, sheets={"energy": [TEXAS]})
    import_(store, sheets={"energy": [OHIO]}, activate=False)
    assert store.version("acme").sheets == {"energy": [TEXAS]}
    assert store.version("acme", None).info.number == 1
    second = store.version("acme", 2)
    assert (second.info.number, second.info.active, second.sheets) == (2, False, {"energy": [OHIO]})


@pytest.mark.parametrize("number", [0, 3, -1, 10**12])
def test_an_unknown_version_lists_those_that_exist(store: PricingStore, number: int) -> None:
    import_(store)
    import_(store, activate=False)
    expected = (f"Pricing table 'acme' has no version {number}: 'acme' has versions 1 to 2 (1 is active). "
                "Use 'acme@N' with one of those, or 'acme' for the active version.")
    for read in (lambda: store.version("acme", number), lambda: store.activate("acme", number),
                 lambda: store.diff("acme", 1, number)):
        with pytest.raises(UnknownVersion) as caught:
            read()
        assert str(caught.value) == expected
        assert caught.value.data["versions"] == [1, 2] and caught.value.code == "unknown_version"


def test_an_unknown_table_names_the_closest_and_all_known(store: PricingStore) -> None:
    import_(store, name="acme-2026q3")
    import_(store, name="globex")
    calls = [lambda s: s.versions("acme-2026q2"), lambda s: s.version("acme-2026q2"),
             lambda s: s.version("acme-2026q2", 1), lambda s: s.diff("acme-2026q2", 1, 1),
             lambda s: s.activate("acme-2026q2", 1), lambda s: s.rollback("acme-2026q2")]
    for call in calls:
        with pytest.raises(UnknownPricingTable) as caught:
            call(store)
        assert str(caught.value) == ("Unknown pricing table 'acme-2026q2'. Closest: acme-2026q3. "
                                     "Known tables: acme-2026q3, globex.")


# --- diff --------------------------------------------------------------------------------------


def test_diff_reports_rows_added_removed_and_changed_by_key(store: PricingStore) -> None:
    import_(store, sheets={"gpu_prices": [H100, A100], "energy": [TEXAS], "hardware_costs": [DGX]})
    h100_cheaper = {**H100, "usd_per_gpu_hour": 2.49, "source": "Lambda, 2025-06-01", "notes": "promo"}
    b200 = {**H100, "gpu": "b200", "usd_per_gpu_hour": 4.99}
    import_(store, sheets={"gpu_prices": [b200, h100_cheaper], "energy": [TEXAS, OHIO], "api_prices": []})
    diff = store.diff("acme", 1, 2)
    assert diff.to_dict() == {
        "table": "acme", "from_version": 1, "to_version": 2, "identical": False,
        "summary": {"added": 2, "removed": 2, "changed": 1},
        "sheets": {
            "gpu_prices": {
                "in_from": True, "in_to": True, "counts": {"added": 1, "removed": 1, "changed": 1},
                "added": [b200], "removed": [A100], "unchanged": 0,
                "changed": [{
                    "key": {"provider": "Lambda", "region": "us-east-1", "gpu": "h100-sxm",
                            "pricing_model": "on_demand", "product": "8x H100 SXM", "effective_date": "2025-03-01"},
                    "changes": {"usd_per_gpu_hour": {"before": 2.99, "after": 2.49},
                                "source": {"before": "Lambda pricing page, 2025-03-01", "after": "Lambda, 2025-06-01"},
                                "notes": {"before": None, "after": "promo"}},
                }],
            },
            "hardware_costs": {"in_from": True, "in_to": False, "counts": {"added": 0, "removed": 1, "changed": 0},
                               "added": [], "removed": [DGX], "changed": [],
                               "unchanged": 0},
            "energy": {"in_from": True, "in_to": True, "counts": {"added": 1, "removed": 0, "changed": 0},
                       "added": [OHIO], "removed": [], "changed": [], "unchanged": 1},
            "api_prices": {"in_from": False, "in_to": True, "counts": {"added": 0, "removed": 0, "changed": 0},
                           "added": [], "removed": [], "changed": [],
                           "unchanged": 0},
        },
    }
    assert diff.sheets[0].changed[0].changes["usd_per_gpu_hour"] == (2.99, 2.49)
    reverse = store.diff("acme", 2, 1).to_dict()
    assert reverse["summary"] == {"added": 2, "removed": 2, "changed": 1}
    assert reverse["sheets"]["gpu_prices"]["added"] == [A100]


def test_diff_of_a_version_with_itself_is_identical(store: PricingStore) -> None:
    import_(store, sheets={"gpu_prices": [H100, A100], "energy": [TEXAS]})
    import_(store, sheets={"gpu_prices": [A100, H100], "energy": [TEXAS]})  # reordered rows: not a change
    for a, b in ((1, 1), (1, 2)):
        diff = store.diff("acme", a, b)
        assert diff.identical and diff.to_dict()["summary"] == {"added": 0, "removed": 0, "changed": 0}
        assert [s.unchanged for s in diff.sheets] == [2, 1]


def test_diff_pairs_duplicate_keys_in_sheet_order_and_ignores_int_float(store: PricingStore) -> None:
    import_(store, sheets={"hardware_costs": [DGX, {**DGX, "usd_capex": 310000}]})
    import_(store, sheets={"hardware_costs": [{**DGX, "usd_capex": 300000.0}, {**DGX, "usd_capex": 320000},
                                              {**DGX, "usd_capex": 330000}]})
    [sheet] = store.diff("acme", 1, 2).sheets
    assert sheet.unchanged == 1
    assert sheet.changed == (RowChange(key={"item": "h100-sxm", "vendor": "NVIDIA", "product": "DGX H100",
                                            "effective_date": "2025-01-15"},
                                       changes={"usd_capex": (310000, 320000)}),)
    assert sheet.added == ({**DGX, "usd_capex": 330000},) and sheet.removed == ()


def test_diff_pages_show_a_window_of_each_list_and_count_everything(store: PricingStore) -> None:
    """Issue 13, defect 9: a diff of two big versions answered every row at once (5.1 s, 637 MiB for
    150,000 rows); a page shows ``per_page`` rows of each list, ``counts`` and ``summary`` count them all."""
    rows = [{**H100, "product": f"type {i}"} for i in range(7)]
    import_(store, sheets={"gpu_prices": rows, "energy": [TEXAS]})
    import_(store, sheets={"gpu_prices": [{**r, "usd_per_gpu_hour": 3.5} for r in rows[:5]], "energy": [OHIO]})
    index = store.diff_index("acme", 1, 2)
    assert index.pages(2) == 3 and index.pages(5) == 1 and index.rows == 9
    last = store.diff("acme", 1, 2, page=3, per_page=2, index=index).to_dict()
    assert {k: last[k] for k in ("summary", "page", "per_page", "pages")} == {
        "summary": {"added": 1, "removed": 3, "changed": 5}, "page": 3, "per_page": 2, "pages": 3}
    gpu = last["sheets"]["gpu_prices"]
    assert gpu["counts"] == {"added": 0, "removed": 2, "changed": 5} and gpu["unchanged"] == 0
    assert [c["key"]["product"] for c in gpu["changed"]] == ["type 4"] and gpu["removed"] == []
    assert last["sheets"]["energy"] == {"in_from": True, "in_to": True, "added": [], "removed": [], "changed": [],
                                        "counts": {"added": 1, "removed": 1, "changed": 0}, "unchanged": 0}
    first = store.diff("acme", 1, 2, page=1, per_page=2).to_dict()["sheets"]["gpu_prices"]
    assert [r["product"] for r in first["removed"]] == ["type 5", "type 6"]
    assert store.diff("acme", 1, 2, page=4, per_page=2).to_dict()["sheets"]["gpu_prices"]["changed"] == []
    # The pages together are the whole diff, in its order.
    whole = store.diff("acme", 1, 2).to_dict()["sheets"]["gpu_prices"]
    pages = [store.diff("acme", 1, 2, page=p, per_page=2).to_dict()["sheets"]["gpu_prices"] for p in (1, 2, 3)]
    for kind in ("added", "removed", "changed"):
        assert [r for page in pages for r in page[kind]] == whole[kind]


def test_a_diff_compares_the_digests_stored_at_import_without_reading_unchanged_rows(store: PricingStore,
                                                                                      monkeypatch) -> None:
    """Issue 13: the first diff of two 150,000-row versions read and compared every row of both (~1.4 s of
    CPU, anonymous). The import stores each row's key and value digests; the index of a diff comes from those
    alone, and a page reads only the rows it shows."""
    rows = [{**H100, "product": f"type {i}", "usd_per_gpu_hour": 1.0 + i} for i in range(50)]
    import_(store, sheets={"gpu_prices": rows})
    import_(store, sheets={"gpu_prices": [{**r, "usd_per_gpu_hour": 9.0} if i == 7 else r
                                          for i, r in enumerate(rows) if i != 3]})
    monkeypatch.setattr(PricingStore, "_texts", lambda *a: pytest.fail("a version's rows were read whole"))
    read: list[tuple[int, list[int]]] = []
    rows_at = PricingStore._rows_at
    monkeypatch.setattr(PricingStore, "_rows_at",
                        lambda self, conn, name, number, sheet, positions:
                        read.append((number, positions)) or rows_at(self, conn, name, number, sheet, positions))
    index = store.diff_index("acme", 1, 2)
    [sheet] = index.sheets
    assert (sheet.counts, sheet.unchanged, read) == ({"added": 0, "removed": 1, "changed": 1}, 48, [])
    assert store.diff("acme", 1, 2, index=index).to_dict()["sheets"]["gpu_prices"]["changed"] == [{
        "key": {k: rows[7][k] for k in TABLES["gpu_prices"].key},
        "changes": {"usd_per_gpu_hour": {"before": 8.0, "after": 9.0}}}]
    assert read == [(1, [3, 7]), (2, [6])]  # the removed row and the changed row's two versions, nothing else


def test_a_diff_of_a_version_without_stored_digests_digests_its_rows_within_a_budget(store: PricingStore) -> None:
    """A version imported before revision 0003 has no digests: a diff computes them from its rows (the same
    answer), but a request given a row budget is refused past it, saying what to do; once indexed, it is not."""
    rows = [{**H100, "product": f"type {i}"} for i in range(6)]
    import_(store, sheets={"gpu_prices": rows})
    import_(store, sheets={"gpu_prices": rows[1:] + [{**H100, "product": "type 9"}]})
    expected = store.diff("acme", 1, 2).to_dict()
    with store.engine.begin() as conn:
        conn.execute(pricing_digests.delete().where(pricing_digests.c.version == 1))
    assert store.diff("acme", 1, 2).to_dict() == expected == store.diff(
        "acme", 1, 2, index=store.diff_index("acme", 1, 2, digest_rows=6)).to_dict()
    with pytest.raises(DiffTooLarge) as caught:
        store.diff_index("acme", 2, 1, digest_rows=5)
    assert str(caught.value) == (
        "Version 1 of 'acme' (6 rows) was imported before versions were indexed for comparison, and comparing it "
        "means reading every row: more than a request may (5 rows). Ask an administrator to index it (estimator "
        "pricing index acme); versions imported since are compared at any size.")
    assert caught.value.code == "diff_too_large"
    assert store.index_versions("acme") == [1]
    assert store.diff("acme", 2, 1, index=store.diff_index("acme", 2, 1, digest_rows=5)).to_dict()["summary"] == {
        "added": 1, "removed": 1, "changed": 0}


# --- activate and roll back --------------------------------------------------------------------


def test_activate_switches_the_active_version_and_is_a_no_op_when_already_active(store: PricingStore) -> None:
    for _ in range(3):
        import_(store)
    info = store.activate("acme", 1)
    assert (info.number, info.active, info.to_dict()["active"]) == (1, True, True)
    assert [v.active for v in store.versions("acme")] == [True, False, False]
    log_size = counts(store)["pricing_activations"]
    assert store.activate("acme", 1).active
    assert counts(store)["pricing_activations"] == log_size
    with pytest.raises(UnknownVersion):
        store.activate("acme", "2")  # type: ignore[arg-type]


def test_rollback_undoes_activations_one_at_a_time(store: PricingStore) -> None:
    for _ in range(3):
        import_(store)  # activations: 1, 2, 3
    store.activate("acme", 1)  # 1, 2, 3, 1
    assert store.rollback("acme", activated_by="ops").number == 3
    assert store.rollback("acme").number == 2
    assert store.version("acme").info.number == 2
    store.activate("acme", 3)  # 1, 2, 3
    assert store.rollback("acme").number == 2
    assert store.rollback("acme").number == 1
    with pytest.raises(PricingTableError) as caught:
        store.rollback("acme")
    assert str(caught.value) == (
        "Nothing to roll back to: version 1 is the first version of 'acme' that was active. "
        "Activate a version by number instead ('acme' has versions 1 to 3 (1 is active)).")
    assert [v.active for v in store.versions("acme")] == [True, False, False]
    with store.engine.connect() as conn:
        log = conn.execute(select(pricing_activations.c.version, pricing_activations.c.action,
                                  pricing_activations.c.activated_by).order_by(pricing_activations.c.id)).all()
    assert [tuple(r) for r in log] == [
        (1, "import", "admin"), (2, "import", "admin"), (3, "import", "admin"), (1, "activate", None),
        (3, "rollback", "ops"), (2, "rollback", None), (3, "activate", None), (2, "rollback", None),
        (1, "rollback", None)]


def test_rollback_without_an_activation_says_so(store: PricingStore) -> None:
    import_(store, activate=False)
    with pytest.raises(PricingTableError, match="Nothing to roll back to: no version of 'acme' has been active yet"):
        store.rollback("acme")


def test_import_without_activation_does_not_disturb_rollback(store: PricingStore) -> None:
    import_(store)
    import_(store)
    import_(store, activate=False)
    assert store.rollback("acme").number == 1


# --- refs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ref", "expected"), [
    ("acme", ("acme", None)), ("acme@3", ("acme", 3)), (" acme-2026q3@12 ", ("acme-2026q3", 12)),
    ("seed", ("seed", None)), ("seed@1", ("seed", 1)),
])
def test_parse_ref(ref: str, expected: tuple) -> None:
    assert parse_ref(ref) == expected


@pytest.mark.parametrize(("ref", "expected"), [
    ("", "Empty pricing table reference: give a table name ('acme') or a name and version ('acme@3')."),
    ("acme@", "Invalid version in pricing table reference 'acme@': versions are whole numbers from 1 ('acme@1'); "
              "write 'acme' for the active version."),
    ("acme@0", "Invalid version in pricing table reference 'acme@0'"),
    ("acme@-1", "Invalid version in pricing table reference 'acme@-1'"),
    ("acme@v2", "Invalid version in pricing table reference 'acme@v2'"),
    ("acme@1.5", "Invalid version"),
    ("acme@1@2", "Invalid version"),
    ("acme@1234567890", "Invalid version"),
    ("@3", "Invalid pricing table reference '@3': the name before '@' must be 1 to 63 characters"),
    ("Acme@3", "Invalid pricing table reference 'Acme@3'"),
    ("ac me", "write 'name' for the active version or 'name@3' for version 3."),
])
def test_bad_refs_say_what_would_work(ref: str, expected: str) -> None:
    with pytest.raises(PricingTableError) as caught:
        parse_ref(ref)
    assert expected in str(caught.value)
    assert caught.value.field == "pricing_table"


# --- set-up and health -------------------------------------------------------------------------


def test_create_schema_is_idempotent_and_keeps_data(store: PricingStore) -> None:
    import_(store)
    store.create_schema()
    store.ping()
    assert store.version("acme").info.number == 1


def test_ping_raises_without_a_schema(tmp_path: Path) -> None:
    with PricingStore(f"sqlite:///{tmp_path / 'empty.sqlite3'}") as store:
        with pytest.raises(PricingStoreUnavailable, match="no schema yet"):
            store.ping()


def test_ping_raises_without_a_schema_on_postgresql(postgres_schema_url) -> None:
    with PricingStore(postgres_schema_url) as store:
        with pytest.raises(PricingStoreUnavailable, match="no schema yet"):
            store.ping()


def test_an_unreachable_database_is_unavailable_without_leaking_the_password() -> None:
    with PricingStore("postgresql+psycopg://estimator:s3cret@127.0.0.1:1/test?connect_timeout=2") as store:
        assert "s3cret" not in repr(store)
        with pytest.raises(PricingStoreUnavailable) as caught:
            store.ping()
        with pytest.raises(PricingStoreUnavailable):
            store.tables()
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith("The pricing store (postgresql+psycopg://estimator:***@127.0.0.1:1/test")
    assert caught.value.code == "pricing_store_unavailable"


def test_an_unsupported_database_is_refused() -> None:
    with pytest.raises(PricingTableError, match="Unsupported pricing store database 'mysql'"):
        PricingStore("mysql://localhost/prices")


def test_for_instance_uses_a_wal_sqlite_file_in_the_instance_folder(tmp_path: Path) -> None:
    instance = tmp_path / "instance" / "nested"
    with PricingStore.for_instance(instance) as store:
        store.create_schema()
        import_(store)
        with store.engine.connect() as conn:
            pragmas = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in
                       ("journal_mode", "foreign_keys", "busy_timeout")}
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 15000}
    path = instance / "pricing.sqlite3"
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT name, active_version FROM pricing_tables").fetchall() == [("acme", 1)]
    raw.close()


def test_sqlite_writes_take_the_write_lock_up_front(sqlite_store: PricingStore) -> None:
    """BEGIN IMMEDIATE for writes, plain BEGIN for reads (STYLE.md: plain BEGIN lost 88 of 100 imports)."""
    begun: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        if statement.startswith("BEGIN"):
            begun.append(statement)

    event.listen(sqlite_store.engine, "before_cursor_execute", record)
    try:
        import_(sqlite_store)
        sqlite_store.activate("acme", 1)
        sqlite_store.version("acme")
        sqlite_store.tables()
    finally:
        event.remove(sqlite_store.engine, "before_cursor_execute", record)
    assert begun == ["BEGIN IMMEDIATE", "BEGIN IMMEDIATE", "BEGIN", "BEGIN"]


def test_an_in_memory_sqlite_store_works() -> None:
    with PricingStore("sqlite://") as store:
        store.create_schema()
        import_(store)
        assert store.version("acme").sheets == {"gpu_prices": [H100]}
