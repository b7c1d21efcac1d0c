"""Errors of the pricing package, in the estimator's hierarchy so the app maps them like any other.

- ``ImportRejected`` (422): a file that does not validate; carries *every* problem found.
- ``UnsupportedFile`` (415): wrong extension or content, an encoding other than UTF-8, a zip bomb.
- ``FileTooLarge`` (413): over the upload limit (or truncated: never imported as a shorter table).
- ``UnknownPricingTable`` / ``UnknownVersion`` (404): with the names or versions that exist.
- ``PricingTableError`` (422): a bad table name, a write to the read-only seed table, and so on.
- ``NoActiveVersion`` (409): a table named without a version while none of its versions is active.
- ``NothingToRollBack`` (409): a roll-back of a table whose activations leave nothing to go back to (the
  table's state, not the request, stands in the way).
- ``PricingStoreUnavailable`` (503): the store's database cannot be reached, or stayed busy past its timeout.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from estimator.errors import ConflictError, EstimatorError, InvalidInputError, closest_ids


@dataclass(frozen=True)
class Problem:
    """One problem in an uploaded file, located the way the user sees the spreadsheet.

    ``row`` counts like the spreadsheet does (the header is row 1); ``column`` is the header name
    as written in the file and ``column_letter`` its spreadsheet letter (A, B, … AA). ``value`` is
    the raw cell text. Whole-file or whole-sheet problems leave row / column empty.
    """

    code: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    column_letter: str | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PricingError(EstimatorError):
    code = "pricing_error"


class ImportRejected(PricingError, ValueError):
    """The file has problems; nothing was imported. ``problems`` lists every one."""

    code = "import_rejected"

    def __init__(self, problems: list[Problem], *, file_name: str = "") -> None:
        count = len(problems)
        what = f"'{file_name}'" if file_name else "The file"
        super().__init__(
            f"{what} was not imported: {count} problem{'s' if count != 1 else ''} found. "
            f"Fix {'it' if count == 1 else 'them'} and upload again; nothing was changed.",
            field="file",
        )
        self.problems = problems


class UnsupportedFile(PricingError, ValueError):
    code = "unsupported_file"


class FileTooLarge(PricingError, ValueError):
    code = "file_too_large"


class PricingTableError(PricingError, InvalidInputError):
    code = "invalid_pricing_table"


class NothingToRollBack(PricingTableError, ConflictError):
    """A roll-back with no earlier activation to return to: a conflict with the table's state (409)."""

    code = "nothing_to_roll_back"


class NoActiveVersion(PricingTableError, ConflictError):
    """A table named without a version while none of its versions is active: a conflict with the
    table's state (409), resolved by activating one or naming ``name@N``."""

    code = "no_active_version"


class UnknownPricingTable(PricingError, LookupError):
    """A pricing table name that does not exist; carries the closest names."""

    code = "unknown_pricing_table"

    def __init__(self, given: str, known: Iterable[str]) -> None:
        known = sorted(known)
        shown, closest, hint = closest_ids(given, known)
        super().__init__(
            f"Unknown pricing table '{shown}'.{hint} Known tables: {', '.join(known)}.",
            field="pricing_table", given=shown, closest=closest,
        )


class UnknownVersion(PricingError, LookupError):
    code = "unknown_version"


class PricingStoreUnavailable(PricingError, RuntimeError):
    """The pricing store's database cannot be reached, or stayed locked past the busy timeout."""

    code = "pricing_store_unavailable"
