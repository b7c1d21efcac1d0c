"""schemathesis hooks for the served API document: real spreadsheets for the two multipart uploads.

Loaded by ``schemathesis.toml`` at the repository root (``hooks = "tests.schemathesis_hooks"``), so a
run from the root needs nothing else::

    schemathesis run http://127.0.0.1:8000/api/v1/openapi.json -H "Authorization: Bearer $TOKEN" --checks all

The document declares each upload's ``file`` part as one of three media types (``encoding``:
xlsx, ods, csv). Without help schemathesis sends a PNG, a PDF or random bytes there, which the
service rightly refuses (415, 422), so ``positive_data_acceptance`` could not hold on the uploads. Here
each of the three media types gets a strategy (``schemathesis.openapi.media_type``) that draws a real
file of its kind (``tests/workbooks.py``): a pricing table built from the sheet declarations of
``pricing/tables.py``, or a batch scenarios sheet. A file's kind reaches the service as the part's
Content-Type (schemathesis names the part ``file.zip`` or ``file``), which it reads when the name has
no .xlsx, .ods or .csv extension.

schemathesis keeps one strategy per media type for every operation, so each strategy draws either
sort of file, and two case hooks fit the case to its operation:

- ``filter_case`` keeps a pricing table for ``POST /api/v1/pricing-tables/{name}/versions`` and a
  scenarios sheet for ``POST /api/v1/estimates/batch`` (a part of neither sort, e.g. a negative
  case's bytes, is kept);
- ``map_case`` names, in the pricing upload's ``sheet`` field, the table a csv holds: a CSV holds one
  table and says which only through that field (the document's words); a workbook names its sheets
  and the field is not read.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

from pricing.read import MEDIA_TYPES
from tests.workbooks import batch_files, csv_table, file_sort, pricing_files

PRICING_UPLOAD = "/pricing-tables/{name}/versions"
BATCH = "/estimates/batch"

for _media_type, _kind in MEDIA_TYPES.items():
    schemathesis.openapi.media_type(_media_type, st.one_of(pricing_files(_kind), batch_files(_kind)))


def _file(case: Any) -> tuple[bytes, str] | None:
    """The case's file part and the media type it is sent as, when it is one of ours."""
    if case.method.upper() != "POST" or not isinstance(case.body, dict):
        return None
    data = case.body.get("file")
    media_type = (case.multipart_content_types or {}).get("file")
    if not isinstance(data, bytes) or media_type not in MEDIA_TYPES:
        return None
    return data, media_type


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    part = _file(case)
    if part is None:
        return True
    sort = file_sort(part[0], MEDIA_TYPES[part[1]])
    path = case.operation.path
    if path.endswith(PRICING_UPLOAD):
        return sort != "scenarios"
    if path.endswith(BATCH):
        return sort != "pricing"
    return True


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    part = _file(case)
    if part is not None and case.operation.path.endswith(PRICING_UPLOAD) and MEDIA_TYPES[part[1]] == "csv":
        table = csv_table(part[0])
        if table is not None:
            case.body["sheet"] = table
    return case
