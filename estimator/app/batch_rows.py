"""Batch rows through the single-estimate API's request schemas (issue 15).

Inputs: a row of sheet cells (text, as ``pricing.read`` gives them) or of JSON values, and its
``workload``. Outputs: the values the request schema loads (``TrainingRequestSchema`` /
``InferenceRequestSchema``), or ``InvalidInputError`` whose message is the 422 problem's ``detail``
that ``POST /api/v1/estimates/<workload>`` answers for the same body (``errors.problem_from_messages``).

Sheet text becomes JSON-like values first (``typed_cells``): a blank cell is an omitted field, a
number field's text that reads as a number becomes that number (``"8"`` -> 8 for an integer field,
``"2.5"`` stays 2.5 so the schema says "Not a valid integer."), anything else stays text so the
schema reports it as the API would ("Not a valid number.").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from estimator.errors import InvalidInputError
from estimator.figures import INFERENCE, TRAINING

from .errors import problem_from_messages
from .schemas import InferenceRequestSchema, StrictFloat, StrictInteger, TrainingRequestSchema

SCHEMAS: dict[str, Schema] = {TRAINING: TrainingRequestSchema(), INFERENCE: InferenceRequestSchema()}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def _number(field: Any, text: str) -> Any:
    """Text of a number field as the number a JSON body would hold, or the text unchanged."""
    text = text.strip()
    if isinstance(field, StrictInteger) and _INTEGER.fullmatch(text):
        return int(text)
    if isinstance(field, StrictInteger | StrictFloat) and _NUMBER.fullmatch(text):
        return float(text)
    return text


def typed_cells(workload: str, cells: Mapping[str, Any]) -> dict[str, Any]:
    """A sheet row's cells (text) as a request body: blanks left out, numbers as numbers."""
    fields = SCHEMAS[workload].fields if workload in SCHEMAS else {}
    out: dict[str, Any] = {}
    for name, value in cells.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        out[name] = _number(fields.get(name), value) if isinstance(value, str) else value
    return out


def check_row(workload: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values as the request schema loads them; its failure as the API's problem detail."""
    try:
        return SCHEMAS[workload].load(dict(values))  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise InvalidInputError(problem_from_messages(exc.messages).detail) from None


def check_text_row(workload: str, cells: Mapping[str, Any]) -> dict[str, Any]:
    """``check_row`` of a sheet row's text cells."""
    return check_row(workload, typed_cells(workload, cells))
