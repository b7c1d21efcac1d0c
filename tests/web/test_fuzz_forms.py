"""Fuzzing the web forms (issue 13: "the web POST forms are not fuzzed").

Every form is read from its page, as a browser would see it: its method, action, fields, the options
of its selects and its hidden CSRF token. Hypothesis then submits it with each field kept, dropped, set
to one of its options or replaced by an adversarial value (long and unicode text, C0/C1 controls, NUL,
bidi overrides, zero-width characters, huge, tiny, negative and non-finite numbers, fractional counts),
sometimes with extra fields or a field given twice. The estimate, compare, planning and sensitivity forms
are GET forms (permalinks) and are submitted as such; the pricing upload, activate and roll-back forms
are POSTed with the session's CSRF token (mostly valid), the admin token (mostly valid) and, for the
upload, a file (a valid csv, a csv with hostile cells, random bytes, a hostile file name).

Every answer must be an HTML page or a redirect, never a 5xx and never a traceback. ``pytest -s``
prints the counts by form and status; ``bench/bench_fuzz.py forms`` runs more and writes them to
docs/benchmarks.md.
"""

from __future__ import annotations

import io
from collections import Counter
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from estimator.app import create_app
from estimator.app.web.plans import PAGES

TOKEN = "forms-fuzz-token-of-at-least-32-characters"
COUNTS: Counter[str] = Counter()
CI_EXAMPLES = 25
#: What a user types into fields a page leaves empty (a table name, a budget, a GPU count).
PLAUSIBLE = {"name": "fuzz", "sheet": "gpu_prices", "note": "fuzzed", "budget_usd": "1e9", "gpus": "1024"}

GET_PAGES = ("/training", "/inference", "/compare", "/compare/hardware", *(f"/plans/{kind}" for kind in PAGES),
             "/plans/sensitivity/training", "/plans/sensitivity/inference")
GPU_CSV = ("provider,region,gpu,pricing_model,usd_per_gpu_hour,product,effective_date,source,notes\r\n"
           "Acme Cloud,,h100-sxm,on_demand,{price},,2025-06-01,Acme quote,{notes}\r\n")


class Form:
    def __init__(self, attrs: dict[str, str | None]) -> None:
        self.method = (attrs.get("method") or "get").lower()
        self.action = attrs.get("action") or ""
        self.multipart = attrs.get("enctype") == "multipart/form-data"
        #: name -> (input type, the page's value, the options of a select)
        self.fields: dict[str, tuple[str, str, list[str]]] = {}
        #: Other actions of its submit buttons (``formaction``): the same fields, sent elsewhere.
        self.formactions: list[str] = []


class Forms(HTMLParser):
    """The forms of a page, with their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a))
        elif not self.forms:
            return
        elif tag == "option" and self._select is not None:
            kind, value, options = self.forms[-1].fields[self._select]
            options.append(a.get("value") or "")
            if "selected" in a or (kind == "select" and len(options) == 1):  # what a browser sends
                self.forms[-1].fields[self._select] = (kind, options[-1] if "selected" in a else value or options[0],
                                                       options)
        elif a.get("formaction"):
            self.forms[-1].formactions.append(a["formaction"] or "")
        elif not a.get("name"):
            return
        elif tag in ("input", "textarea"):
            kind = (a.get("type") or "text") if tag == "input" else "textarea"
            name, value = a["name"] or "", a.get("value") or ""
            if kind in ("checkbox", "radio"):  # sent only when checked; the other values are options
                _, sent, options = self.forms[-1].fields.get(name, (kind, "", []))
                self.forms[-1].fields[name] = (kind, (value or "on") if "checked" in a else sent,
                                               [*options, value or "on"])
            elif kind not in ("submit", "button", "reset"):
                self.forms[-1].fields[name] = (kind, value, [])
        elif tag == "select":
            self._select = a["name"]
            self.forms[-1].fields[a["name"] or ""] = ("select-multiple" if "multiple" in a else "select", "", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def copy(form: Form, action: str) -> Form:
    other = Form({"method": form.method, "action": action,
                  "enctype": "multipart/form-data" if form.multipart else None})
    other.fields = form.fields
    return other


def forms_of(page: str) -> list[Form]:
    parser = Forms()
    parser.feed(page)
    return parser.forms


ADVERSARIAL = st.sampled_from([
    "", " ", "0", "-1", "-0", "0.5", "1.5", "1e400", "-1e400", "1e-320", "1e308", "nan", "NaN", "inf", "-Infinity",
    "9" * 400, "1" * 20, "2**64", "0x10", "1,000", "0,250", "1_000", "١٢٣", "１２", "½", "\x00", "1\x00",
    "a\x1b[31m", "\u202eevil", "Ac\u200bme", "\ufeff1", "\ud7ff", "<script>alert(1)</script>", "'\"><", "javascript:x",
    "=cmd|' /C calc'!A0", "../../etc/passwd", "%00", "h100-sxm\n", " h100-sxm ", "H100-SXM", "all", "deepseek-v3,",
    ",,,", "deepseek-v3," * 200, "x" * 20_000, "seed@1", "seed@٣", "fuzz@999999999999", "true", "on", "None", "null",
]) | st.text(max_size=30) | st.integers(-(2**70), 2**70).map(str) | st.floats().map(repr)


@st.composite
def filled(draw: st.DrawFn, form: Form) -> MultiDict[str, Any]:
    """The form's fields, each kept, dropped, an option or adversarial; sometimes extras and repeats."""
    data: MultiDict[str, Any] = MultiDict()
    names = [name for name, (kind, _, _) in form.fields.items() if kind not in ("hidden", "password", "file")]
    # A few fields changed (most submissions then reach the estimate), or every one of them at random.
    few = draw(st.lists(st.sampled_from(names), max_size=3, unique=True)) if draw(st.booleans()) else None
    for name, (kind, value, options) in form.fields.items():
        if kind in ("hidden", "password", "file"):
            continue  # filled by the caller: the CSRF and admin tokens, the file
        if few is not None and name not in few:
            how = "keep"
        else:
            how = draw(st.sampled_from(("keep", "keep", "drop", "option", "fuzz", "fuzz")))
        if how == "drop":
            continue
        if how == "option" and options:
            data.add(name, draw(st.sampled_from(options)))
        elif how == "fuzz":
            data.add(name, draw(ADVERSARIAL))
        elif value or PLAUSIBLE.get(name):
            data.add(name, value or PLAUSIBLE[name])
    for _ in range(draw(st.integers(0, 2))):
        data.add(draw(st.sampled_from([*form.fields, "extra", "\x00", "a" * 300, "model.unknown", "__class__"]) |
                      st.text(min_size=1, max_size=10)), draw(ADVERSARIAL))
    return data


FILES = st.one_of(
    st.builds(lambda price, notes: GPU_CSV.format(price=price, notes=notes).encode(),
              st.sampled_from(["1.99", "2.5", "0,250", "1e400", "-1", "nan", ""]), ADVERSARIAL.filter(
                  lambda s: "\n" not in s and "\r" not in s and "," not in s and '"' not in s)),
    st.binary(max_size=200),
    st.just(b"PK\x03\x04" + b"\x00" * 100),
)
FILE_NAMES = st.sampled_from(["gpu.csv", "gpu.xlsx", "gpu.ods", "gpu.txt", "", "a\x00.csv", "\u202ecsv.exe", "../x.csv",
                              "x" * 300 + ".csv", "gpu.CSV"])


def client_and_forms() -> tuple[Any, dict[str, Form]]:
    """A client with a session, a stored table ``fuzz`` (so its page has the activate and roll-back
    forms), and every form by ``METHOD action``."""
    client = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "AUTH_FAILURES_LIMIT": ""}).test_client()
    upload = next(f for f in forms_of(client.get("/pricing").get_data(as_text=True)) if f.action == "/pricing")
    for price in ("1.99", "2.49"):
        response = client.post("/pricing", data={
            "csrf_token": upload.fields["csrf_token"][1], "admin_token": TOKEN, "name": "fuzz", "activate": "on", "sheet": "gpu_prices",
            "file": (io.BytesIO(GPU_CSV.format(price=price, notes="").encode()), "gpu.csv")})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
    found: dict[str, Form] = {}
    for path in (*GET_PAGES, "/pricing", "/pricing/fuzz"):
        page = client.get(path)
        assert page.status_code == 200, path
        for form in forms_of(page.get_data(as_text=True)):
            for action in (form.action, *form.formactions):
                if action and form.fields:
                    found.setdefault(f"{form.method.upper()} {action.split('?')[0]}", copy(form, action))
    return client, found


CLIENT, FORMS = client_and_forms()


def check(key: str, response: Any) -> None:
    COUNTS[f"{key} {response.status_code}"] += 1
    for earlier in response.history:
        assert earlier.status_code in (301, 302, 303, 307, 308), (key, earlier.status_code)
    body = response.get_data()
    assert response.status_code < 500, (key, response.status_code, body[:2000])
    assert b"Traceback" not in body, (key, body[:2000])
    if not 300 <= response.status_code < 400:
        assert response.mimetype == "text/html", (key, response.status_code, response.mimetype, body[:500])


def submit(key: str, form: Form, data: MultiDict[str, Any], extra: dict[str, Any]) -> None:
    if form.method == "get":  # a permalink form: blank fields redirect to the canonical link, followed
        check(key, CLIENT.get(form.action, query_string=data, follow_redirects=True))
        return
    for name, (kind, value, _) in form.fields.items():
        if kind == "hidden":
            data.setdefault(name, extra.get(name, value))
        elif kind == "password":
            data.setdefault(name, extra["token"])
        elif kind == "file":
            data.setdefault(name, (io.BytesIO(extra["file"]), extra["file_name"]))
    action = form.action
    if "name" in extra and action.startswith("/pricing/fuzz/"):
        action = "/pricing/" + quote(extra["name"], safe="") + action[len("/pricing/fuzz"):]
    check(key, CLIENT.post(action, data=data, content_type="multipart/form-data" if form.multipart else None))


@st.composite
def pricing_extras(draw: st.DrawFn) -> dict[str, Any]:
    """The admin and CSRF tokens (mostly valid), the file and its name, sometimes another table name in the path."""
    extra: dict[str, Any] = {"token": draw(st.sampled_from([TOKEN] * 8 + ["", "wrong", TOKEN + "x", "\x00"]))}
    if draw(st.integers(0, 5)) == 5:  # hypothesis favours the simplest draw (0): valid most of the time
        extra["csrf_token"] = draw(st.sampled_from(["", "forged", "a.b.c"]) | st.text(max_size=20))
    extra["file"] = draw(FILES)
    extra["file_name"] = draw(FILE_NAMES)
    if draw(st.integers(0, 3)) == 3:
        extra["name"] = draw(st.sampled_from(["seed", "nope", "FUZZ", "fuzz ", "\u202efuzz", "fu\x00zz", "٣"]))
    return extra


def run(examples: int) -> Counter[str]:
    """Every form, ``examples`` submissions each: the answers by form and status."""
    COUNTS.clear()
    for key in sorted(FORMS):
        fuzz_form(key, examples)
    return Counter(COUNTS)


def fuzz_form(key: str, examples: int) -> None:
    form = FORMS[key]

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=filled(form), extra=pricing_extras())
    def fuzz(data: MultiDict[str, Any], extra: dict[str, Any]) -> None:
        submit(key, form, data, extra)

    fuzz()


def test_every_form_was_found() -> None:
    assert {"POST /pricing", "POST /pricing/fuzz/activate", "POST /pricing/fuzz/rollback", "GET /training",
            "GET /inference", "GET /compare", "GET /compare/hardware", "GET /plans/sensitivity/training"} <= set(FORMS)
    assert {f"GET /plans/{kind}" for kind in PAGES} <= set(FORMS)


@pytest.mark.parametrize("key", sorted(FORMS))
def test_a_form_never_answers_5xx_or_a_traceback(key: str) -> None:
    fuzz_form(key, CI_EXAMPLES)
    print(key, {k: n for k, n in COUNTS.items() if k.startswith(key + " ")})
