"""POST /api/v1/estimates/batch: many scenarios in one request (issue 15).

Two forms:
- JSON: ``{"rows": [{"workload": "training", "model": ..., ...}, ...]}`` -> ``{"columns": [...],
  "rows": [{column: value}, ...], "errors": N}``; each row is checked by the single estimate's
  request schema (``app/batch_rows.check_row``); a null or empty-string value is a blank cell, the
  default, as in a sheet (the single endpoints would call null invalid). The JSON body limits (``MAX_CONTENT_LENGTH``,
  ``MAX_JSON_ITEMS``) apply, so large batches go as a file.
- multipart/form-data with a ``file`` (xlsx, ods or csv; the pricing upload's checks) -> the same
  table as xlsx (for xlsx and ods) or csv (for csv).

A bad row gets the single API's problem ``detail`` in its ``error`` column and never fails the
others. More rows than ``BATCH_MAX_ROWS`` (default 100,000) -> 413.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Response, current_app, request
from marshmallow import Schema, fields

from estimator import batch
from estimator.cost import PriceBook
from pricing.read import named_kind

from .. import batch_table
from ..batch_rows import check_row, check_text_row, check_text_rows, check_text_sweep
from ..errors import PROBLEM_MIMETYPE, ProblemError
from ..jsonsafe import encode, json_response, load_json_body
from ..pricing_ops import FILE_ENCODING, read_upload
from ..schemas import SAFE_TEXT, ProblemSchema
from ..state import Ready, ready_state
from . import Blueprint

blp = Blueprint("batch", __name__, url_prefix="/api/v1/estimates", description="Estimate many scenarios at once")
DEFAULT_MAX_ROWS = batch_table.MAX_ROWS
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: A cell of a JSON row: any JSON value, as the body's parser takes it (``jsonsafe``: no control or
#: bidirectional formatting character in any string or key); a value its field does not take is the
#: row's error, not the request's. Registered as the component ``JsonValue``. Numbers carry no bounds: the
#: parser refuses only an integer past a 64-bit float (1.8e308), and schemathesis reads a bound that large
#: as a float, calling integers just inside it out of range.
JSON_VALUE_REF = {"$ref": "#/components/schemas/JsonValue"}
JSON_VALUE = {
    "description": "Any JSON value whose strings and keys hold no control or bidirectional formatting character.",
    "anyOf": [{"type": "string", **SAFE_TEXT},
              {"type": ["number", "boolean", "null"]},
              {"type": "array", "items": JSON_VALUE_REF},
              {"type": "object", "propertyNames": SAFE_TEXT, "additionalProperties": JSON_VALUE_REF}],
}


class JsonRow(fields.Dict):
    """A scenario row of a JSON batch: an object of ``JSON_VALUE`` cells (``json_row_openapi``)."""


def json_row_openapi(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: a ``JsonRow``'s keys and cells as the body's parser takes them."""
    return {"propertyNames": SAFE_TEXT, "additionalProperties": JSON_VALUE_REF} if isinstance(field, JsonRow) else {}


class BatchRequestSchema(Schema):
    rows = fields.List(JsonRow(), required=True, metadata={
        "description": "Scenarios: each an object with 'workload' (training, inference or serving) and the "
                       "fields of POST /api/v1/estimates/training or /inference.",
        "example": [{"workload": "training", "model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm",
                     "gpus": 1024}]})


class BatchUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "The scenarios: xlsx, ods or UTF-8 csv, row 1 the "
                                                              "field names and 'workload' (GET /batch/template.xlsx "
                                                              "is one). Its kind is read from the file name's "
                                                              "extension, or from the part's Content-Type when the "
                                                              "name has none of .xlsx, .ods, .csv."})


class BatchResultSchema(Schema):
    columns = fields.List(fields.String(), required=True, metadata={
        "description": "Input columns, then result columns (bands as '<figure>.mid|low|high (unit)'), 'warnings', "
                       "'error'."})
    rows = fields.List(fields.Dict(), required=True, metadata={"description": "One object per scenario, in order."})
    errors = fields.Integer(required=True, metadata={"description": "Rows whose 'error' is not blank."})


def _max_rows() -> int:
    return int(current_app.config.get("BATCH_MAX_ROWS", DEFAULT_MAX_ROWS))


def _estimator(ready: Ready, text: bool) -> batch.RowEstimate:
    books: dict[str | None, PriceBook] = {}

    def book_for(ref: str | None) -> PriceBook:
        if ref not in books:
            books[ref] = ready.price_book(ref)
        return books[ref]

    return batch.single_estimate(ready.catalog, book_for, check_text_row if text else check_row,
                                 check_text_rows if text else None, check_text_sweep if text else None)


def _too_many(count: int, limit: int) -> ProblemError:
    return ProblemError(413, f"{count:,} scenarios; the limit is {limit:,} per request. Split them over several "
                             "requests.")


def _json_cell(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _from_json(ready: Ready) -> Response:
    body = load_json_body()
    if not isinstance(body, dict) or set(body) != {"rows"} or not isinstance(body["rows"], list) \
            or not all(isinstance(r, dict) for r in body["rows"]):
        raise ProblemError(422, "The body must be {\"rows\": [ {...}, ... ]}: a list of scenario objects.",
                           type_="/problems/invalid-input",
                           errors=[{"pointer": "/rows", "detail": "A list of objects is required.", "code": "invalid_type"}])
    rows = body["rows"]
    if len(rows) > _max_rows():
        raise _too_many(len(rows), _max_rows())
    table = batch_table.run_batch(rows, estimate=_estimator(ready, text=False))
    records = [{k: _json_cell(v) for k, v in r.items()} for r in table.to_dict("records")]
    errors = sum(1 for r in records if r[batch.ERROR_COLUMN])
    return json_response(encode({"columns": list(table.columns), "rows": records, "errors": errors}))


def _from_file(ready: Ready) -> Response:
    upload = read_upload()
    if upload.data is None:
        raise ProblemError(422, "The upload has no 'file' part: send the scenarios as the 'file' field.",
                           type_="/problems/invalid-input",
                           errors=[{"pointer": None, "detail": "Missing 'file' part.", "code": "required"}])
    limit = _max_rows()
    rows = batch_table.read_scenarios(upload.data, upload.file_name, max_rows=limit, media_type=upload.media_type)
    table = batch_table.run_batch(rows, estimate=_estimator(ready, text=True))
    if named_kind(upload.file_name, upload.media_type) == "csv":
        body, mimetype, name = batch_table.to_csv(table), "text/csv", "results.csv"
    else:
        body, mimetype, name = batch_table.to_xlsx(table), XLSX, "results.xlsx"
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@blp.route("/batch", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": BatchRequestSchema},
                                                    "multipart/form-data": {"schema": BatchUploadSchema,
                                                                            "encoding": FILE_ENCODING}}})
@blp.doc(responses={"200": {
    "description": "JSON in: the rows as JSON. A file in: the same table as xlsx (an xlsx or ods file) or csv (a csv).",
    "content": {"application/json": {"schema": BatchResultSchema},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}}}}})
@blp.alt_response(413, schema=ProblemSchema, content_type=PROBLEM_MIMETYPE,
                  description="Body larger than the limit, or more rows than BATCH_MAX_ROWS (default 100,000).")
@blp.alt_response(415, schema=ProblemSchema, content_type=PROBLEM_MIMETYPE,
                  description="Neither JSON nor multipart, or not an xlsx / ods / UTF-8 csv file.")
@blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM_MIMETYPE,
                  description="The body is not a list of rows, or the file has no 'workload' column. A bad row is "
                              "not an error of the request: its 'error' column says why.")
def post_batch() -> Response:
    """Estimate many training and serving scenarios in one request.

    Each row is estimated exactly as POST /api/v1/estimates/training or /inference would estimate
    it; a row that would be refused carries that endpoint's problem detail in its 'error' column.
    """
    ready = ready_state()
    if request.mimetype == "multipart/form-data":
        return _from_file(ready)
    return _from_json(ready)
