"""One exception hierarchy for the estimation core.

Every error carries structured data (``code``, ``field``, and whatever else helps) and a
message that says what would work. The core knows nothing of HTTP: the app maps
``InvalidInputError`` to 422, ``UnknownIdError`` to 404, and so on.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class EstimatorError(Exception):
    """Base of every error the estimator raises on purpose."""

    code = "estimator_error"

    def __init__(self, message: str, *, field: str | None = None, **data: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.data = data

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "field": self.field, "detail": self.message, **self.data}


class InvalidInputError(EstimatorError, ValueError):
    """A value is out of range, not finite, or inconsistent with another value."""

    code = "invalid_input"


class ConflictError(InvalidInputError):
    """Values each valid on its own that cannot hold together, or cannot be met with the records they
    name: 'active_params' above 'params', a layout of more GPUs than the run has, a latency target
    faster than the hardware reaches. Arithmetic across values, which a request schema cannot state
    (the HTTP API answers 409, where a value a schema can check is a 422)."""


class UnknownMarketError(ConflictError):
    """An ``electricity_market`` the pricing table has no energy row of (``markets``: those it has).
    A conflict between the request and the table's rows, which no document of the request can state
    (an uploaded table has markets of its own): the HTTP API answers 409, as for other conflicts."""

    code = "unknown_market"


class UnknownIdError(EstimatorError, LookupError):
    """A model or hardware id is not in the catalog; carries the closest ids."""

    code = "unknown_id"

    def __init__(self, kind: str, given: str, known: Iterable[str], *, field: str) -> None:
        given, closest, hint = closest_ids(given, known)
        listing = "hardware" if kind == "hardware" else "models"
        super().__init__(
            f"Unknown {kind} '{given}'.{hint} See `estimator catalog {listing}` for all ids.",
            field=field,
            given=given,
            closest=closest,
        )


def closest_ids(given: str, known: Iterable[str]) -> tuple[str, list[str], str]:
    """``given`` cut to 80 characters for messages, the up to 3 closest known ids, and a
    " Closest: a, b." hint (empty when nothing is close)."""
    closest = difflib.get_close_matches(given.lower()[:100], sorted(known), n=3, cutoff=0.4)
    shown = given if len(given) <= 80 else given[:77] + "..."
    return shown, closest, f" Closest: {', '.join(closest)}." if closest else ""


class UnsupportedPrecisionError(EstimatorError, ValueError):
    """The hardware has no tensor-core peak for the requested precision."""

    code = "unsupported_precision"


class DoesNotFitError(EstimatorError, ValueError):
    """The workload does not fit in the memory of the GPUs given."""

    code = "does_not_fit"


class CatalogError(EstimatorError, ValueError):
    """A seed or uploaded catalog row is malformed."""

    code = "catalog_error"


class CatalogConflictError(CatalogError):
    """Two figures of one record contradict each other ('kv_heads' above 'attention_heads'): a
    ``ConflictError`` when the record is given inline in a request."""


def out_of_range(exc: ArithmeticError) -> InvalidInputError:
    """A division by zero or an overflow deep in a formula means an input far outside anything
    physical (5e-324 tokens, 1e308 requests/s); say so instead of crashing."""
    return InvalidInputError(
        "An input is too large or too small for the estimate to be computed "
        f"({type(exc).__name__}): use values in the range of real workloads and hardware.",
        field=None,
    )
