"""The pages' charts: the printable record's trend as SVG geometry (crisp on paper, no script needed to
print), and the plotly figures of the series, the reports and the bedside trends."""
from __future__ import annotations

import math
from datetime import datetime, tzinfo

import plotly.graph_objects as go

from ..timeutil import parse_stored
from ..views import vocabulary as words

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34
# measure, colour, dash pattern (distinct in black and white too)
SERIES = (
    ("sbp", "#a3001b", ""),
    ("dbp", "#a3001b", "6 4"),
    ("hr", "#0b5cad", ""),
    ("spo2", "#1d6b35", "2 3"),
)
MARKED_STATES = {"infusing": "start", "paused": "pause", "recovery": "end", "ready": "ready",
                 "discharged": "discharge"}


def trend_chart(vitals: list[dict], transitions: list[dict], zone: tzinfo) -> dict | None:
    """Lines of SBP, DBP, HR and SpO2 over the session from the current records, with state changes marked."""
    rows = sorted((r for r in vitals if r["status"] == "current"), key=lambda r: r["taken_at"])
    values = [r[key] for r in rows for key, *_ in SERIES if r.get(key) is not None]
    if not values:
        return None
    moments = [parse_stored(r["taken_at"]) for r in rows]
    start, end = min(moments), max(moments)
    span = max((end - start).total_seconds(), 60)
    low, high = math.floor((min(values) - 5) / 20) * 20, math.ceil((max(values) + 5) / 20) * 20
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: datetime) -> float:
        return round(LEFT + (moment - start).total_seconds() / span * plot_w, 1)

    def y(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * plot_h, 1)

    lines = []
    for key, colour, dash in SERIES:
        points = [(x(m), y(r[key])) for m, r in zip(moments, rows) if r.get(key) is not None]
        if points:
            lines.append({"key": key, "label": words.short_label(key)[0], "colour": colour, "dash": dash,
                          "points": points, "path": " ".join(f"{px},{py}" for px, py in points)})
    step = 20 if high - low <= 200 else 40
    y_ticks = [{"value": v, "y": y(v)} for v in range(low, high + 1, step)]
    ticks = time_ticks(start, end)
    x_ticks = [{"label": m.astimezone(zone).strftime("%H:%M"), "x": x(m),
                "anchor": "start" if i == 0 else "end" if i == len(ticks) - 1 else "middle"}
               for i, m in enumerate(ticks)]
    markers = [{"label": MARKED_STATES[t["to"]], "x": x(parse_stored(t["at"]))} for t in transitions
               if t["to"] in MARKED_STATES and start <= parse_stored(t["at"]) <= end]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP, "right": WIDTH - RIGHT,
            "bottom": HEIGHT - BOTTOM, "lines": lines, "y_ticks": y_ticks, "x_ticks": x_ticks, "markers": markers}


def time_ticks(start: datetime, end: datetime, count: int = 6) -> list[datetime]:
    """About `count` evenly spaced moments from start to end."""
    if end <= start:
        return [start]
    return [start + (end - start) * i / (count - 1) for i in range(count)]


# The pages' plotly figures, built here from the read models and drawn by the vendored plotly.js
# (static/js/charts.js draws every [data-figure]); the table beside each chart holds its numbers.

STATIC = {"staticPlot": True, "responsive": True, "displayModeBar": False}
LOOK = {"margin": {"l": 56, "r": 16, "t": 16, "b": 56}, "height": 300, "template": "none",
        "font": {"family": "system-ui, sans-serif", "size": 13, "color": "#1a1a1a"},
        "legend": {"orientation": "h", "y": -0.25}, "barmode": "group"}
BLUE, RED, GREEN, BROWN = "#0b5cad", "#a3001b", "#1d6b35", "#8a5a00"


def static_figure(traces: list, y_title: str, **layout) -> dict | None:
    """One look for every still chart: readable, no toolbar, sized by its container; None when it has no data."""
    if not any(v is not None for trace in traces for v in (*(trace.x or ()), *(trace.y or ()))):
        return None
    figure = go.Figure(traces, go.Layout(LOOK, yaxis={"title": {"text": y_title}, "rangemode": "tozero"}))
    figure.update_layout(layout)
    return figure.to_plotly_json() | {"config": STATIC}


def still(figure: dict) -> dict:
    """A figure built elsewhere (a view's), drawn still like the others: no toolbar, no hover-only information."""
    return figure | {"config": STATIC}


def in_the_look(figure: dict) -> dict | None:
    """A figure built elsewhere (the alarm review's) in the same still look; its own layout wins."""
    if not any(v is not None for trace in figure["data"] for v in (*trace.get("x", ()), *trace.get("y", ()))):
        return None
    look = LOOK | {"yaxis": {"title": {"text": ""}, "rangemode": "tozero"}}
    return still(figure | {"layout": look | figure["layout"]})


def series_figures(rows: list[dict]) -> dict:
    """A patient's course: BP at baseline and peak, the rise over baseline, recovery time and dose."""
    x = [f"Session {r['series_number'] or i + 1}" for i, r in enumerate(rows)]

    def line(key, name, colour, dash=None):
        return go.Scatter(x=x, y=[r[key] for r in rows], name=name, mode="lines+markers",
                          line={"color": colour, "dash": dash})

    def bars(key, name, colour):
        return go.Bar(x=x, y=[r[key] for r in rows], name=name, marker={"color": colour})

    sbp, dbp, mmhg = words.short_label("sbp")[0], words.short_label("dbp")[0], words.short_label("sbp")[1]
    return {
        "bp": static_figure([line("baseline_sbp", f"Baseline {sbp}", BLUE, "dot"), line("peak_sbp", f"Peak {sbp}", RED),
                             line("baseline_dbp", f"Baseline {dbp}", GREEN, "dot"),
                             line("peak_dbp", f"Peak {dbp}", BROWN)], mmhg),
        "rise": static_figure([bars("sbp_rise", f"{sbp} rise", RED), bars("dbp_rise", f"{dbp} rise", BROWN)], mmhg),
        "recovery": static_figure([bars("recovery_minutes", "Minutes", BLUE)], "minutes"),
        "dose": static_figure([line("dose_mg_per_kg", "mg/kg", GREEN)], "mg/kg"),
    }


def report_figures(report: dict) -> dict:
    """The clinic's figures: sessions per week, the BP rise and recovery distributions, side-effect rates."""
    def binned(distribution, colour):
        bins = distribution["bins"]
        return go.Bar(x=[f"{b['from']} to {b['to']}" for b in bins], y=[b["count"] for b in bins],
                      marker={"color": colour}, name="Sessions")

    effects = report["side_effects"]
    return {
        "weeks": static_figure([go.Bar(x=[w["week"] for w in report["per_week"]],
                                       y=[w["sessions"] for w in report["per_week"]], marker={"color": BLUE},
                                       name="Sessions")], "sessions", xaxis={"type": "category"}),
        "rise": static_figure([binned(report["bp_rise"], RED)], "sessions",
                              xaxis={"type": "category", "title": {"text": words.short_label("sbp")[1]}}),
        "effects": static_figure([go.Bar(y=[words.kind_label(e["kind"]) for e in effects],
                                         x=[e["percent"] for e in effects], orientation="h",
                                         marker={"color": BROWN}, name="% of sessions")], "",
                                 xaxis={"title": {"text": "% of sessions"}}, yaxis={"automargin": True}),
        "recovery": static_figure([binned(report["recovery"], GREEN)], "sessions",
                                  xaxis={"type": "category", "title": {"text": "minutes"}}),
    }
