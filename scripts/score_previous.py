"""Score an earlier version of the estimator on today's calibration corpus (the 'before' baseline
of docs/validation.md): ``python scripts/score_previous.py /path/to/old/checkout [label]``.

The old checkout's ``estimator`` package is imported in place of this one; the corpus rows and
their mapping to requests (``estimator/corpus.py``) are this checkout's, so both versions answer the
same requests. Writes seeds/calibration/baseline_previous.csv (row id, low, mid, high or the reason).
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def main() -> None:
    old = Path(sys.argv[1]).resolve()
    label = sys.argv[2] if len(sys.argv) > 2 else old.name
    sys.path.insert(0, str(old))
    from estimator.catalog import load_catalog  # the old package
    from estimator.cost import load_price_book

    spec = importlib.util.spec_from_file_location("corpus_today", HERE / "estimator" / "corpus.py")
    corpus = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["corpus_today"] = corpus
    spec.loader.exec_module(corpus)  # type: ignore[union-attr]
    directory = HERE / "seeds" / "calibration"
    catalog = corpus.load_catalog_with_corpus_models(load_catalog(old / "seeds"), directory)
    book = load_price_book(old / "seeds" / "pricing")
    out = []
    for row in corpus.load_rows(directory):
        band, _, reason = corpus.estimate_row(row, catalog, book)
        out.append({"id": row.id, "version": label, "low": band[0] if band else "", "mid": band[1] if band else "",
                    "high": band[2] if band else "", "not_estimated": reason})
    with (directory / "baseline_previous.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(out[0]))
        writer.writeheader()
        writer.writerows(out)
    print(f"scored {len(out)} rows with {label}")


if __name__ == "__main__":
    main()
