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

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from marshmallow import Schema, ValidationError, validate

from estimator.errors import InvalidInputError
from estimator.figures import INFERENCE, TRAINING

from .errors import problem_from_messages
from .schemas import InferenceRequestSchema, StrictFloat, StrictInteger, TrainingRequestSchema, Within

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


def _load(workload: str, values: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return SCHEMAS[workload].load(dict(values))  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise InvalidInputError(problem_from_messages(exc.messages).detail) from None


#: Rows already loaded, by (workload, the values other than a varying field): the loaded values.
_LOADED: dict[tuple[Any, ...], dict[str, Any]] = {}
_LOADED_LIMIT = 100_000
#: A field that varies row by row in a sweep, checked alone against a row already loaded.
_VARYING = "tokens"


def check_row(workload: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values as the request schema loads them; its failure as the API's problem detail.

    A sweep repeats every value but the token count: a row equal to one already loaded except for
    ``tokens`` is that row's result with ``tokens`` loaded by its own field (its type and range
    validators; no schema-level check reads it). Anything else, and any row that fails, goes through
    the whole schema, so the answer and the message are the schema's."""
    if workload not in SCHEMAS:
        return _load(workload, values)
    try:
        key = (workload, _VARYING in values, tuple(sorted((k, type(v).__name__, v) for k, v in values.items() if k != _VARYING)))
        loaded = _LOADED.get(key)
    except TypeError:  # an unhashable value (an inline record)
        return _load(workload, values)
    if loaded is not None:
        if _VARYING not in values:
            return dict(loaded)
        try:
            return {**loaded, _VARYING: SCHEMAS[workload].fields[_VARYING].deserialize(values[_VARYING])}
        except ValidationError:
            return _load(workload, values)  # raises with the schema's whole message
    loaded = _load(workload, values)
    if len(_LOADED) >= _LOADED_LIMIT:
        _LOADED.clear()
    _LOADED[key] = loaded
    return dict(loaded)


def check_text_row(workload: str, cells: Mapping[str, Any]) -> dict[str, Any]:
    """``check_row`` of a sheet row's text cells."""
    return check_row(workload, typed_cells(workload, cells))


def check_text_rows(workload: str, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any] | InvalidInputError]:
    """``check_text_row`` of many rows at once: each row's loaded values, or its error.

    Rows that differ only in ``tokens`` (a sweep) share one load of their other cells; each row's
    own token count is read as ``typed_cells`` reads it and checked by the field's own validators.
    Whatever does not take that path (the other cells fail, the text is not a plain finite number, a
    validator refuses it) is checked alone by ``check_text_row``, so every answer and message is the
    schema's. No schema-level rule of the training request reads ``tokens``."""
    schema = SCHEMAS.get(workload)
    field = schema.fields.get(_VARYING) if schema is not None else None
    base: dict[Any, dict[str, Any] | None] = {}
    out: list[dict[str, Any] | InvalidInputError] = []
    for cells in rows:
        text = cells.get(_VARYING)
        value = None
        if field is not None and isinstance(text, str) and _NUMBER.fullmatch(text.strip()):
            value = float(text.strip())
        if value is not None and math.isfinite(value):
            try:
                key = tuple((k, type(v), v) for k, v in cells.items() if k != _VARYING)
                loaded = base[key] if key in base else base.setdefault(key, _rest(workload, cells))
            except TypeError:
                loaded = None
            if loaded is not None and _valid(field, value):
                out.append({**loaded, _VARYING: value})
                continue
        try:
            out.append(check_text_row(workload, cells))
        except InvalidInputError as exc:
            out.append(exc)
    return out


def check_text_sweep(workload: str, base: Mapping[str, Any], varying: Mapping[str, np.ndarray]
                     ) -> tuple[dict[str, Any] | None, dict[str, np.ndarray], np.ndarray]:
    """``check_text_row`` of a sweep's rows, column by column (``estimator.batch.SweepCheck``).

    The shared cells ``base`` are loaded once; each varying column (number fields: tokens, prices,
    utilisation) is read as ``typed_cells`` reads it (text that is a plain number, or a number) and
    checked by its field's range validators over the whole column (``_in_ranges``). A row that
    fails any of that is marked, and the caller checks it alone (the schema's message). No
    schema-level rule of the training request reads these fields."""
    n = len(next(iter(varying.values()))) if varying else 0
    schema = SCHEMAS.get(workload)
    loaded = _rest(workload, base) if schema is not None else None
    ok = np.full(n, loaded is not None)
    arrays: dict[str, np.ndarray] = {}
    if loaded is None:
        return None, arrays, ok
    for name, column in varying.items():
        field = schema.fields.get(name) if schema is not None else None
        if not isinstance(field, StrictFloat) or isinstance(field, StrictInteger):
            return None, {}, np.zeros(n, dtype=bool)
        values = _floats(column)
        with np.errstate(invalid="ignore"):
            ok &= np.isfinite(values) & _in_ranges(field, values)
        arrays[name] = values
    return loaded, arrays, ok


def _floats(column: np.ndarray) -> np.ndarray:
    """Cells as ``typed_cells`` reads a number field's: plain-number text or a number; NaN otherwise."""
    cells = column.tolist()
    try:
        distinct = dict.fromkeys(cells)
    except TypeError:  # an unhashable cell: nothing of this column is read in bulk
        return np.full(len(cells), np.nan)
    read = {cell: _float(cell) for cell in distinct}
    return np.array([read[cell] for cell in cells], dtype=float)


def _float(cell: Any) -> float:
    if isinstance(cell, str):
        text = cell.strip()
        return float(text) if _NUMBER.fullmatch(text) else math.nan
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    return math.nan


def _in_ranges(field: Any, values: np.ndarray) -> np.ndarray:
    """Which values the field's validators take: a ``Range`` (and ``Within``, which leaves a value
    <= 0 to the sign check) over the whole column, any other validator value by value."""
    ok = np.ones(len(values), dtype=bool)
    for validator in field.validators:
        if type(validator) in (validate.Range, Within):
            inside = np.ones(len(values), dtype=bool)
            if validator.min is not None:
                inside &= values >= validator.min if validator.min_inclusive else values > validator.min
            if validator.max is not None:
                inside &= values <= validator.max if validator.max_inclusive else values < validator.max
            ok &= (values <= 0) | inside if isinstance(validator, Within) else inside
        else:
            ok &= np.array([_valid_one(validator, v) for v in values.tolist()], dtype=bool)
    return ok


def _valid_one(validator: Any, value: float) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def _rest(workload: str, cells: Mapping[str, Any]) -> dict[str, Any] | None:
    """A row's other cells loaded (tokens left out), or None if they fail."""
    try:
        return check_text_row(workload, {k: v for k, v in cells.items() if k != _VARYING})
    except InvalidInputError:
        return None


def _valid(field: Any, value: float) -> bool:
    try:
        for validator in field.validators:
            validator(value)
    except ValidationError:
        return False
    return True


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
