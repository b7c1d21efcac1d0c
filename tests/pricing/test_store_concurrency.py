"""Several writers and readers at once: no lost version, contiguous numbers, no half-written version.

Threads share one ``PricingStore`` (gunicorn's gthread workers); processes each open their own
(several gunicorn workers or app instances on one database). Each import's rows are derived from
its writer and sequence number (and recorded in its file name), so a reader can check that a
version it sees holds exactly the rows written, not only the right count.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from typing import Any

from pricing.errors import UnknownPricingTable
from pricing.store import PricingStore, StoredVersion

NAME = "race"


def sheets_for(writer: int, seq: int) -> dict[str, list[dict[str, Any]]]:
    """The rows writer ``writer`` imports as its ``seq``-th version: 1 to 40 energy rows, 0 to 29 GPU rows."""
    tag = f"w{writer}-s{seq}"
    energy = [{"region": f"{tag}-r{j}", "usd_per_kwh": round(0.05 + j / 1000, 6), "pue": None,
               "effective_date": "2025-03-01", "source": tag} for j in range(1 + (writer * 7 + seq * 3) % 40)]
    gpus = [{"provider": tag, "region": None, "gpu": "h100-sxm", "pricing_model": "on_demand",
             "usd_per_gpu_hour": 2.0 + j / 100, "product": f"p{j}", "effective_date": "2025-03-01", "source": tag}
            for j in range((seq * 5 + writer) % 30)]
    return {"gpu_prices": gpus, "energy": energy} if gpus else {"energy": energy}


def file_name(writer: int, seq: int) -> str:
    return f"w{writer}-s{seq}.csv"


def check_whole(stored: StoredVersion) -> None:
    """The version holds exactly the rows its writer wrote, and its row counts say so."""
    writer, seq = (int(part[1:]) for part in stored.info.file_name.removesuffix(".csv").split("-"))
    assert stored.info.row_counts == {sheet: len(rows) for sheet, rows in stored.sheets.items()}, stored.info
    assert stored.sheets == sheets_for(writer, seq), f"{stored.info.ref} is not whole"


def write_versions(store: PricingStore, writer: int, imports: int) -> list[int]:
    return [store.import_version(NAME, sheets_for(writer, seq), file_name=file_name(writer, seq),
                                 created_by=f"writer-{writer}").number for seq in range(imports)]


class Reader(threading.Thread):
    """Reads the way the app does while writes go on; records anything wrong instead of raising."""

    def __init__(self, store: PricingStore, stop: threading.Event, seed: int, *, active_is_latest: bool) -> None:
        super().__init__(daemon=True)
        self.store, self.stop, self.random = store, stop, random.Random(seed)
        self.active_is_latest = active_is_latest
        self.reads = 0
        self.versions_seen = 0
        self.errors: list[str] = []

    def run(self) -> None:
        latest = 0
        while not self.stop.is_set() and not self.errors:
            try:
                choice = self.random.random()
                if choice < 0.4:
                    stored = self.store.version(NAME)
                    check_whole(stored)
                    assert stored.info.active, stored.info
                    if self.active_is_latest:
                        assert stored.info.number >= latest, f"active {stored.info.number} after {latest} versions"
                    self.versions_seen += 1
                elif choice < 0.7 and latest:
                    check_whole(self.store.version(NAME, self.random.randint(1, latest)))
                    self.versions_seen += 1
                elif choice < 0.9:
                    numbers = [v.number for v in self.store.versions(NAME)]
                    assert numbers == list(range(1, len(numbers) + 1)), f"gap in {numbers}"
                    assert len(numbers) >= latest, f"saw {latest} versions, now {len(numbers)}"
                    latest = len(numbers)
                else:
                    tables = [t for t in self.store.tables() if t.name == NAME]
                    assert not tables or tables[0].latest_version == tables[0].versions >= latest, tables
                self.reads += 1
            except UnknownPricingTable:
                if latest:
                    self.errors.append(f"table vanished after {latest} versions")
            except Exception as exc:  # record, so the main thread reports it
                self.errors.append(f"{type(exc).__name__}: {exc}")


def run_readers(store: PricingStore, count: int, *, active_is_latest: bool = True) -> tuple[list[Reader], threading.Event]:
    """Start ``count`` readers; ``active_is_latest``: every import activates, nothing else does."""
    stop = threading.Event()
    readers = [Reader(store, stop, seed, active_is_latest=active_is_latest) for seed in range(count)]
    for reader in readers:
        reader.start()
    return readers, stop


def stop_readers(readers: list[Reader], stop: threading.Event) -> None:
    stop.set()
    for reader in readers:
        reader.join(timeout=30)
        assert not reader.is_alive(), "a reader hung"
    assert [e for r in readers for e in r.errors] == []
    assert all(r.reads > 0 for r in readers)
    assert sum(r.versions_seen for r in readers) > 0


def alternations(store: PricingStore) -> int:
    """How often the writer changes from one version to the next: evidence the writes overlapped."""
    authors = [v.created_by for v in store.versions(NAME)]
    return sum(a != b for a, b in zip(authors, authors[1:], strict=False))


def check_final_state(store: PricingStore, writers: int, imports: int, numbers: list[int]) -> None:
    total = writers * imports
    assert sorted(numbers) == list(range(1, total + 1)), "lost or duplicated version numbers"
    versions = store.versions(NAME)
    assert [v.number for v in versions] == list(range(1, total + 1))
    assert {v.file_name for v in versions} == {file_name(w, s) for w in range(writers) for s in range(imports)}
    for info in versions:
        check_whole(store.version(NAME, info.number))
    created = [v.created_at for v in versions]
    assert created == sorted(created), "created_at does not rise with the version number"
    # Each import activates its version and commits before the next one starts: the last is active.
    assert [v.number for v in versions if v.active] == [total]
    [table] = store.tables()
    assert (table.active_version, table.latest_version, table.versions) == (total, total, total)


def test_threads_write_and_read_at_once(store: PricingStore) -> None:
    writers, imports = 4, 25
    numbers: list[int] = []
    failures: list[str] = []

    def writer(index: int) -> None:
        try:
            numbers.extend(write_versions(store, index, imports))
        except Exception as exc:
            failures.append(f"writer {index}: {type(exc).__name__}: {exc}")

    readers, stop = run_readers(store, 3)
    started = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a writer hung"
    elapsed = time.perf_counter() - started
    stop_readers(readers, stop)
    assert failures == []
    check_final_state(store, writers, imports, numbers)
    print(f"\n[{store.backend}] {writers} writer threads x {imports} imports in {elapsed:.2f} s; "
          f"{sum(r.reads for r in readers)} reads by {len(readers)} readers, "
          f"{sum(r.versions_seen for r in readers)} whole versions checked during the writes; "
          f"writer changed {alternations(store)} times along the version numbers")


def process_writer(url: str, writer: int, imports: int, start: Any, results: Any) -> None:
    """One writing process: its own store, started together with the others."""
    store = PricingStore(url)
    try:
        store.ping()
        start.wait(timeout=60)  # a barrier: every process ready, then all write at once
        results.put((writer, write_versions(store, writer, imports), None))
    except Exception as exc:
        results.put((writer, [], f"{type(exc).__name__}: {exc}"))
    finally:
        store.dispose()


def test_processes_write_and_read_at_once(store: PricingStore) -> None:
    writers, imports = 2, 25
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(writers + 1), context.Queue()
    url = store.url.render_as_string(hide_password=False)
    processes = [context.Process(target=process_writer, args=(url, i, imports, start, results), daemon=True)
                 for i in range(writers)]
    for process in processes:
        process.start()
    readers, stop = run_readers(store, 2)
    start.wait(timeout=60)
    started = time.perf_counter()
    try:
        outcomes = [results.get(timeout=60) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        results.close()
        results.join_thread()
    elapsed = time.perf_counter() - started
    stop_readers(readers, stop)
    assert [error for _, _, error in outcomes] == [None] * writers
    assert [p.exitcode for p in processes] == [0] * writers
    check_final_state(store, writers, imports, [n for _, numbers, _ in outcomes for n in numbers])
    print(f"\n[{store.backend}] {writers} writer processes x {imports} imports in {elapsed:.2f} s; "
          f"{sum(r.reads for r in readers)} reads by {len(readers)} reader threads, "
          f"{sum(r.versions_seen for r in readers)} whole versions checked during the writes; "
          f"writer changed {alternations(store)} times along the version numbers")


def test_threads_activate_roll_back_and_import_at_once(store: PricingStore) -> None:
    """Activation reads before it writes: without BEGIN IMMEDIATE, SQLite refuses such a transaction
    ("database is locked") when another writer committed since its read."""
    from sqlalchemy import select

    from pricing.errors import PricingTableError
    from pricing.store import pricing_activations

    workers, rounds = 4, 30
    store.import_version(NAME, sheets_for(9, 0), file_name=file_name(9, 0), created_by="setup")
    failures: list[str] = []
    imported: list[int] = []

    def worker(index: int) -> None:
        chance = random.Random(index)
        for seq in range(rounds):
            try:
                action = chance.random()
                if action < 0.3:
                    imported.append(store.import_version(NAME, sheets_for(index, seq), file_name=file_name(index, seq),
                                                         created_by=f"writer-{index}", activate=False).number)
                elif action < 0.8:
                    latest = store.tables()[0].latest_version
                    assert store.activate(NAME, chance.randint(1, latest)).active
                else:
                    try:
                        assert store.rollback(NAME).active
                    except PricingTableError as exc:
                        assert "Nothing to roll back to" in str(exc)
            except Exception as exc:
                failures.append(f"worker {index}: {type(exc).__name__}: {exc}")

    readers, stop = run_readers(store, 2, active_is_latest=False)
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a worker hung"
    elapsed = time.perf_counter() - started
    stop_readers(readers, stop)
    assert failures == []
    assert sorted(imported) == list(range(2, len(imported) + 2))
    log = pricing_activations
    with store.engine.connect() as conn:
        entries = conn.execute(select(log.c.id, log.c.version, log.c.restores).order_by(log.c.id)).all()
    # The log is a stack: every entry points back at an earlier one; the latest is what is active.
    assert all(e.restores is None or e.restores < e.id for e in entries)
    assert [v.number for v in store.versions(NAME) if v.active] == [entries[-1].version]
    print(f"\n[{store.backend}] {workers} threads x {rounds} imports/activations/rollbacks in {elapsed:.2f} s; "
          f"{len(entries)} activation log entries, {sum(r.reads for r in readers)} reads")
