"""Server-made SVG charts: valid XML, labelled for screen readers, escaped, safe with zeros."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from lms.reports import charts
from lms.reports.charts import Bar, Series

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ['<script>alert(1)</script>', '"><svg onload=x>', "a & b", "'; --", "日本語 «x»"]
MONTHS = ["Sep", "Oct", "Nov"]


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))  # noqa: S314 - our own markup, parsed to check it


def all_charts(labels=MONTHS, values=(3, 0, 5), name="Won") -> list[Markup]:
    return [
        charts.bar_chart("c-bar", "Deals by month", "Won: 8 in total.", labels,
                         [Series(name, tuple(values), "s-won"),
                          Series("Lost", tuple(values), "s-lost")]),
        charts.bar_chart("c-stack", "Stacked", "Two series.", labels,
                         [Series(name, tuple(values), "s-won"),
                          Series("Lost", tuple(values), "s-lost")], stacked=True),
        charts.line_chart("c-line", "Revenue", "Revenue by month.", labels,
                          [Series(name, tuple(v * 1_000_000 for v in values), "s-revenue")]),
        charts.hbar_chart("c-hbar", "Tiers", "Bronze 3, Silver 0.",
                          [Bar(label, value, "tier-bronze")
                           for label, value in zip(labels, values, strict=True)]),
    ]


def test_every_chart_is_an_svg_image_labelled_by_its_title_and_desc():
    for markup in all_charts():
        root = parse(markup)
        assert root.tag == SVG + "svg"
        assert root.get("role") == "img"
        assert root.get("viewBox", "").startswith("0 0 ")
        ident = root.get("id")
        assert root.get("aria-labelledby") == f"{ident}-title {ident}-desc"
        title, desc = root[0], root[1]
        assert (title.tag, title.get("id")) == (SVG + "title", f"{ident}-title")
        assert (desc.tag, desc.get("id")) == (SVG + "desc", f"{ident}-desc")
        assert title.text and desc.text


def test_charts_have_no_script_no_external_reference_no_inline_style_or_handler():
    for markup in all_charts(labels=HOSTILE[:3], values=(1, 2, 3), name=HOSTILE[1]):
        root = parse(markup)
        for element in root.iter():
            assert element.tag not in (SVG + "script", SVG + "foreignObject", SVG + "image",
                                       SVG + "use", SVG + "a")
            for attribute in element.attrib:
                assert not attribute.lower().startswith("on"), attribute
                assert attribute not in ("style", "href", "{http://www.w3.org/1999/xlink}href")
        # Only the chart itself is an <svg>: a name cannot open another element.
        assert sum(1 for e in root.iter() if e.tag == SVG + "svg") == 1


@pytest.mark.parametrize("text", HOSTILE)
def test_every_text_is_escaped(text):
    made = [
        charts.bar_chart("c-bar", text, text, [text, "b"], [Series(text, (1, 2), "s-won")]),
        charts.line_chart("c-line", text, text, [text, "b"], [Series(text, (1, 2), "s-won")],
                          format_value=lambda v: text),
        charts.hbar_chart("c-hbar", text, text, [Bar(text, 3, "band-watch")]),
    ]
    for markup in made:
        root = parse(markup)
        assert "<script" not in str(markup)
        assert "<svg onload" not in str(markup)
        assert root[0].text == text  # the title reads back as the text it was given
        texts = [e.text for e in root.iter() if e.text]
        assert any(text in t for t in texts)


def test_ids_and_classes_must_be_plain_identifiers():
    with pytest.raises(ValueError):
        charts.bar_chart('x" onload="y', "t", "d", ["a"], [Series("s", (1,), "s-won")])
    with pytest.raises(ValueError):
        charts.hbar_chart("ok", "t", "d", [Bar("a", 1, "x onload=y")])
    with pytest.raises(ValueError):
        charts.line_chart("ok", "t", "d", ["a", "b"], [Series("s", (1,), "s-won")])


def test_zero_and_empty_data_render_without_dividing_by_zero():
    zero = all_charts(values=(0, 0, 0))
    empty = [
        charts.bar_chart("c-bar", "t", "d", [], [Series("s", (), "s-won")]),
        charts.bar_chart("c-bar", "t", "d", [], []),
        charts.line_chart("c-line", "t", "d", [], [Series("s", (), "s-won")]),
        charts.line_chart("c-line", "t", "d", ["Nov"], [Series("s", (0,), "s-won")]),
        charts.hbar_chart("c-hbar", "t", "d", []),
    ]
    for markup in zero + empty:
        parse(markup)
    note = charts.bar_chart("c-bar", "t", "d", MONTHS, [Series("s", (0, 0, 0), "s-won")],
                            empty_text="No deals in this period")
    assert "No deals in this period" in str(note)


def test_bars_are_as_tall_as_their_values():
    root = parse(charts.bar_chart("c", "t", "d", ["a", "b"], [Series("s", (2, 4), "s-won")]))
    heights = [float(r.get("height")) for r in root.iter(SVG + "rect")
               if "bar" in r.get("class", "").split()]
    assert heights[1] == pytest.approx(heights[0] * 2)
    titles = [r.find(SVG + "title").text for r in root.iter(SVG + "rect")
              if "bar" in r.get("class", "").split()]
    assert titles == ["a · s: 2", "b · s: 4"]


def test_negative_and_non_finite_values_draw_as_zero():
    root = parse(charts.bar_chart("c", "t", "d", ["a", "b", "c"],
                                  [Series("s", (-5, float("nan"), float("inf")), "s-won")]))
    heights = [float(r.get("height")) for r in root.iter(SVG + "rect")
               if "bar" in r.get("class", "").split()]
    assert heights == [0, 0, 0]


def test_many_months_show_a_readable_number_of_labels():
    labels = [f"M{i}" for i in range(24)]
    root = parse(charts.bar_chart("c", "t", "d", labels, [Series("s", (1,) * 24, "s-won")]))
    shown = [t.text for t in root.iter(SVG + "text") if "chart-label" in t.get("class", "")]
    assert len(shown) <= charts.MAX_X_LABELS
    assert shown[-1] == "M23"  # the current month always shows


@pytest.mark.parametrize(("maximum", "ticks"), [
    (0, (0, 1)), (-3, (0, 1)), (1, (0, 1)), (3, (0, 1, 2, 3)), (4, (0, 1, 2, 3, 4)),
    (7, (0, 2, 4, 6, 8)), (38, (0, 10, 20, 30, 40)), (97, (0, 25, 50, 75, 100)),
    (48_500_000, (0, 20_000_000, 40_000_000, 60_000_000))])
def test_nice_ticks(maximum, ticks):
    assert charts.nice_ticks(maximum) == tuple(float(t) for t in ticks)


def test_text_alternatives_say_the_data_in_words():
    assert charts.flow_summary("Won", MONTHS, [3, 0, 5]) == \
        "Won: 8 in total, the most in Nov (5)."
    assert charts.flow_summary("Won", MONTHS, [0, 0, 0]) == "Won: none in this period."
    assert charts.flow_summary("Won", [], []) == "Won: none in this period."
    assert charts.level_summary("Valid", MONTHS, [10, 12, 15]) == \
        "Valid: 10 at the end of Sep, 15 at the end of Nov."
    assert charts.level_summary("Valid", [], []) == "Valid: no data."
    assert charts.parts_summary([Bar("Bronze", 9, "x"), Bar("Gold", 3, "y")]) == \
        "Bronze 9, Gold 3"
