"""The inline SVG bar charts: values to bar lengths, whiskers for bands, axis, escaping, accessibility."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from estimator.app.web import charts
from estimator.app.web.charts import PAD_LEFT, PLOT_WIDTH, Bar, Chart, bar_chart, nice_axis, number_text

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart: Chart, chart_id: str = "c1") -> ET.Element:
    """The chart's SVG as XML: it must be well-formed."""
    return ET.fromstring(str(bar_chart(chart, chart_id)))


def bars(root: ET.Element) -> list[ET.Element]:
    return root.findall(f".//{SVG}rect[@class='chart-bar']")


def texts(root: ET.Element, css: str) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text") if t.get("class", "").split()[0] == css]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (0.5, "0.5"),
        (999, "999"),
        (1000, "1k"),
        (1500, "1.5k"),
        (20_071_500, "20.1M"),
        (2.5e9, "2.5B"),
        (3e12, "3T"),
        (2.63804e25, "2.64 × 10²⁵"),
        (0.0004, "4 × 10⁻⁴"),
    ],
)
def test_number_text(value, text):
    assert number_text(value) == text


@pytest.mark.parametrize(
    ("largest", "axis"),
    [
        (1.42, (1.5, 0.5)),
        (40, (40, 10)),
        (16_384, (20_000, 5_000)),
        (566e6, (600e6, 200e6)),
        (7, (8, 2)),
        (0, (1.0, 0.25)),
        (float("nan"), (1.0, 0.25)),
    ],
)
def test_nice_axis(largest, axis):
    top, step = nice_axis(largest)
    assert top == pytest.approx(axis[0]) and step == pytest.approx(axis[1])
    if largest == largest and largest > 0:  # not NaN
        assert top >= largest and round(top / step) <= 4


def test_bar_lengths_are_proportional_to_the_values():
    root = parse(Chart("GPU-hours", "GPU-hours", (Bar("a", 10), Bar("b", 20), Bar("c", 40))))
    widths = [float(r.get("width")) for r in bars(root)]
    # axis 0..40 (step 10): 40 fills the plot
    assert widths == pytest.approx([PLOT_WIDTH / 4, PLOT_WIDTH / 2, PLOT_WIDTH], abs=0.01)
    assert all(float(r.get("x")) == PAD_LEFT for r in bars(root))
    assert texts(root, "chart-tick") == ["0", "10", "20", "30", "40"]
    assert texts(root, "chart-value") == ["10", "20", "40"]
    assert texts(root, "chart-unit") == ["GPU-hours"]
    assert texts(root, "chart-label") == ["a", "b", "c"]


def test_whiskers_span_low_to_high_and_the_axis_covers_them():
    root = parse(Chart("Cost", "USD", (Bar("rent", 175e6, 84.6e6, 566e6), Bar("own", 40.9e6, 40.9e6, 40.9e6))))
    whiskers = root.findall(f".//{SVG}path[@class='chart-whisker']")
    assert len(whiskers) == 1  # low == high: no whisker
    scale = PLOT_WIDTH / 600e6  # axis 0..600M
    start, end = re.match(r"M([\d.]+) [\d.]+H([\d.]+)", whiskers[0].get("d")).groups()
    assert float(start) == pytest.approx(PAD_LEFT + 84.6e6 * scale, abs=0.01)
    assert float(end) == pytest.approx(PAD_LEFT + 566e6 * scale, abs=0.01)
    assert float(bars(root)[0].get("width")) == pytest.approx(175e6 * scale, abs=0.01)
    assert texts(root, "chart-tick")[-1] == "600M"


def test_labels_and_titles_are_escaped():
    attack = '<script>alert("x")</script> & </text><text>'
    svg = str(bar_chart(Chart(attack, attack, (Bar(attack, 1.0),)), 'id"><x'))
    assert attack not in svg and "<script" not in svg
    root = ET.fromstring(svg)  # still well-formed
    assert texts(root, "chart-label") == [attack]
    assert root.find(f"{SVG}title").text == f"{attack} ({attack})"
    assert root.get("id") == 'id"><x'


def test_accessible_name_and_description():
    chart = Chart("Power", "MW", (Bar("IT", 13.7, 12.4, 13.8), Bar("Facility", 16.6, 14.8, 19.6)))
    root = parse(chart, "chart-2")
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-2-title chart-2-desc"
    assert root.find(f"{SVG}title").get("id") == "chart-2-title"
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == "chart-2-desc"
    assert desc.text == "Power, in MW. IT: 13.7 (low 12.4, high 13.8); Facility: 16.6 (low 14.8, high 19.6)."
    rows = root.findall(f"{SVG}g[@class='chart-row']")
    assert [r.find(f"{SVG}title").text for r in rows] == [
        "IT: 13.7 (low 12.4, high 13.8)",
        "Facility: 16.6 (low 14.8, high 19.6)",
    ]


def test_missing_values_are_said_not_drawn():
    root = parse(Chart("GPUs", "GPUs", (Bar("runs", 8), Bar("cannot run", None), Bar("nan", float("nan")))))
    assert len(bars(root)) == 1
    assert texts(root, "chart-value") == ["8", "no estimate", "no estimate"]


def test_all_zero_values_draw_empty_bars_on_a_unit_axis():
    root = parse(Chart("Cost", "USD", (Bar("a", 0.0), Bar("b", 0.0))))
    assert [float(r.get("width")) for r in bars(root)] == [0.0, 0.0]
    assert texts(root, "chart-tick") == ["0", "0.25", "0.5", "0.75", "1"]


def test_csp_compatible_no_style_no_script():
    svg = str(bar_chart(Chart("x", "y", (Bar("a", 1, 0.5, 2),)), "c"))
    assert "style" not in svg and "<script" not in svg and "javascript:" not in svg
    assert 'class="chart"' in svg and 'fill="#0b4f8a"' in svg  # presentation attributes, overridable by site.css


def test_height_grows_with_the_bars():
    one = parse(Chart("x", "y", (Bar("a", 1),)))
    three = parse(Chart("x", "y", tuple(Bar(str(i), i) for i in range(1, 4))))
    height = lambda root: float(root.get("viewBox").split()[3])  # noqa: E731
    assert height(three) - height(one) == pytest.approx(2 * charts.ROW)


# --- Labels fit the chart ------------------------------------------------------------------------
def label_extents(root: ET.Element) -> list[tuple[str, float]]:
    """(line, x + estimated width) of every label line (a wrapped label's <tspan>s, else its text)."""
    out = []
    for text in root.iter(f"{SVG}text"):
        if text.get("class") != "chart-label":
            continue
        spans = text.findall(f"{SVG}tspan") or [text]
        out.extend((s.text or "", float(s.get("x") or text.get("x")) + charts.text_width(s.text or "")) for s in spans)
    return out


def view_width(root: ET.Element) -> float:
    return float(root.get("viewBox").split()[2])


def test_the_longest_catalog_gpu_names_fit_inside_the_viewbox(seeds_catalog):
    """The hardware comparison's labels ('13. NVIDIA GB300 (per Blackwell Ultra GPU in NVL72), fp4')
    ran past the right edge: every line now ends inside the viewBox."""
    labels = [f"{i}. {h.name}, fp4" for i, h in enumerate(seeds_catalog.hardware.values(), 10)]
    root = parse(Chart("Cost", "USD", tuple(Bar(label, i + 1.0) for i, label in enumerate(labels))))
    extents = label_extents(root)
    assert view_width(root) == charts.WIDTH  # wrapped, not shrunk
    assert all(end <= charts.WIDTH for _, end in extents), max(extents, key=lambda e: e[1])
    assert "".join(line for line, _ in extents).replace(" ", "") == "".join(labels).replace(" ", "")


def test_a_long_label_wraps_onto_a_second_line_and_its_row_grows():
    long = "NVIDIA GB300 (per Blackwell Ultra GPU in NVL72) at fp4 with a very long custom description"
    short = parse(Chart("x", "y", (Bar("a", 1), Bar("b", 2))))
    wrapped = parse(Chart("x", "y", (Bar(long, 1), Bar("b", 2))))
    spans = [t.text for t in wrapped.iter(f"{SVG}tspan")]
    assert len(spans) == 2 and " ".join(spans) == long
    assert charts.text_width(spans[0]) <= charts.LABEL_ROOM
    height = lambda root: float(root.get("viewBox").split()[3])  # noqa: E731
    assert height(wrapped) - height(short) == pytest.approx(charts.LABEL_LINE)
    # the first bar sits under its second label line; the second bar moves down by one line too
    ys = lambda root: [float(r.get("y")) for r in root.iter(f"{SVG}rect")]  # noqa: E731
    assert [b - a for a, b in zip(ys(short), ys(wrapped), strict=True)] == [charts.LABEL_LINE] * 2


def test_a_word_longer_than_the_chart_widens_the_viewbox():
    word = "Model-" + "x" * 70
    root = parse(Chart("x", "y", (Bar(word, 1),)))
    [(line, end)] = label_extents(root)
    assert line == word and view_width(root) > charts.WIDTH and end <= view_width(root)


#: Arial's advance widths in ems (its hmtx table / 2048, as browsers use them), for the test below.
ARIAL = {"N": 0.722, "V": 0.667, "I": 0.278, "D": 0.722, "A": 0.667, " ": 0.278, "H": 0.722, "1": 0.556,
         "0": 0.556, "8": 0.556, "G": 0.778, "B": 0.667, "S": 0.667, "X": 0.667, "M": 0.833, "5": 0.556,
         ",": 0.278, "f": 0.278, "p": 0.556, "i": 0.222, "W": 0.944, "数": 1.0, "据": 1.0}


@pytest.mark.parametrize("text", ["", "i", "W", "NVIDIA H100 80GB SXM5, fp8", "数据"])
def test_text_width_errs_wide_of_arial(text):
    assert charts.text_width(text, 10) >= 10 * sum(ARIAL[c] for c in text)
