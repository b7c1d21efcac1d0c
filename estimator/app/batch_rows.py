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


# --- The template -------------------------------------------------------------------------------
README_COLUMNS = ("column", "workload", "type", "description", "example")


def input_columns() -> list[str]:
    """``workload`` and every request field of either workload, training's first."""
    return ["workload", *dict.fromkeys(n for s in SCHEMAS.values() for n in s.fields)]


def _field_type(field: Any) -> str:
    if isinstance(field, StrictInteger):
        return "integer"
    if isinstance(field, StrictFloat):
        return "number"
    return "text (a catalog id)" if field.name in ("model", "hardware") else "text"


def _readme_rows() -> list[list[str]]:
    rows = [["workload", "both", "text", "training, or inference (also: serving). Required.", "training"]]
    for name in input_columns()[1:]:
        used = [w for w, s in SCHEMAS.items() if name in s.fields]
        field = SCHEMAS[used[0]].fields[name]
        choices = getattr(field.validate, "choices", None) if field.validate else None
        allowed = f" One of: {', '.join(choices)}." if choices else ""
        example = field.metadata.get("example", "")
        rows.append([name, " and ".join(used), _field_type(field),
                     f"{field.metadata.get('description', '')}.{allowed} Blank: the default.", str(example)])
    return rows


def template_xlsx() -> bytes:
    """A scenarios workbook: the input columns with one example row per workload (the API's own
    examples), and a README sheet documenting each input and each result column (``figures``)."""
    import io

    import xlsxwriter

    from estimator.batch import ERROR_COLUMN, WARNINGS_COLUMN, result_columns
    from pricing.export import WORKBOOK_OPTIONS

    from .schemas import INFERENCE_EXAMPLE, TRAINING_EXAMPLE

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet("Scenarios")
    columns = input_columns()
    sheet.write_row(0, 0, columns, bold)
    for r, example in enumerate(({"workload": TRAINING, **TRAINING_EXAMPLE}, {"workload": INFERENCE, **INFERENCE_EXAMPLE}), 1):
        for c, name in enumerate(columns):
            if example.get(name) is not None:
                sheet.write(r, c, example[name])
    sheet.freeze_panes(1, 0)
    readme = workbook.add_worksheet("README")
    readme.write_row(0, 0, README_COLUMNS, bold)
    readme.set_column(0, 0, 36)
    readme.set_column(3, 3, 90)
    r = 1
    for r, row in enumerate(_readme_rows(), 1):
        readme.write_row(r, 0, row)
    r += 2
    readme.write_row(r, 0, ["result column", "workload", "type", "description"], bold)
    for workload in (TRAINING, INFERENCE):
        for column in result_columns(workload):
            r += 1
            scenario = f" ({column.scenario} estimate)" if column.scenario else ""
            readme.write_row(r, 0, [column.name, workload, column.figure.type, column.figure.doc + scenario])
    for name, text in ((WARNINGS_COLUMN, "The estimate's warnings, joined by ' | '."),
                       (ERROR_COLUMN, "Blank, or why the row has no estimate: the message the single-estimate API "
                                      "gives for the same request.")):
        r += 1
        readme.write_row(r, 0, [name, "both", "text", text])
    readme.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
