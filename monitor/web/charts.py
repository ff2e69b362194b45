"""The pages' charts: the printable record's trend as SVG geometry (crisp on paper, no script needed to
print), and the plotly figures of the series, the reports and the bedside trends."""
from __future__ import annotations

import math
from datetime import datetime, tzinfo

import plotly.graph_objects as go

from ..rules import alert_rules
from ..timeutil import iso, parse_stored, stored_problem
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
    # A record whose stored time is odd (from before times were checked) is in the table, not on the chart.
    rows = sorted((r for r in vitals if r["status"] == "current" and not stored_problem(r["taken_at"])),
                  key=lambda r: r["taken_at"])
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


# The bedside trends: HR, BP, SpO2 and RR against minutes since the infusion started (or the baseline),
# the phases shaded, side effects, notes and medications as markers along the top, the alert thresholds
# in force as lines. Built here from the record; static/js/trends.js only appends the live readings.

TREND_COLOURS = {"hr": "#0b5cad", "sbp": "#b00020", "dbp": "#8a3ffc", "spo2": "#1d6b35", "rr": "#8a5a00"}
MARKERS = (("side_effect", "Side effects", "triangle-up", "#b36b00"), ("note", "Notes", "circle-open", "#4d4d4d"),
           ("medication", "Medications", "diamond", "#0b5cad"))
PHASES = {"infusing": "rgba(176, 0, 32, 0.08)", "paused": "rgba(120, 120, 120, 0.16)",
          "recovery": "rgba(11, 92, 173, 0.08)", "ready": "rgba(29, 107, 53, 0.10)"}
PRIORITY_LINES = {"high": ("#b00020", "dash"), "medium": ("#b36b00", "dot"), "low": ("#00758f", "dot")}
THRESHOLD_RULES = ("bp_high", "sbp_low", "hr", "spo2", "rr")
TREND_CONFIG = {"displayModeBar": False, "responsive": True, "displaylogo": False}


def trend_figures(whole: dict, rules: dict, now: datetime) -> dict:
    """The bedside trends of a session record: the seq they are current to, their time origin, the current
    vitals they show (so a live reading is appended once) and one figure per chart of `TREND_CHARTS`."""
    line = whole["timeline"]
    origin = parse_stored(line.get("infusing") or line.get("baseline") or whole["created_at"])
    axis = "minutes since the infusion started" if line.get("infusing") else "minutes since baseline"

    def minutes(at: str) -> float:
        return round((parse_stored(at) - origin).total_seconds() / 60, 1)

    current = sorted((v for v in whole["vitals"] if v["status"] == "current" and not stored_problem(v["taken_at"])),
                     key=lambda v: (v["taken_at"], v["id"]))  # an odd stored time: in the table, not the chart
    entries = (*whole["side_effects"], *(n for n in whole["notes"] if n["kind"] != "addendum"))
    marks = [mark for mark in map(trend_mark, entries) if not stored_problem(mark["at"])]
    steps = whole["transitions"]
    phases = [(step["to"], minutes(step["at"]), minutes(following["at"]) if following else minutes(iso(now)))
              for step, following in zip(steps, [*steps[1:], None]) if step["to"] in PHASES]
    charts = []
    for chart in words.TREND_CHARTS:
        traces = [reading_trace(key, [v for v in current if v.get(key) is not None], minutes)
                  for key in chart["series"]]
        for kind, name, symbol, colour in MARKERS:
            shown = [m for m in marks if m["kind"] == kind]
            traces.append(go.Scatter(x=[minutes(m["at"]) for m in shown], y=[chart["range"][1]] * len(shown),
                                     text=[m["text"] for m in shown], mode="markers", name=name, cliponaxis=False,
                                     marker={"symbol": symbol, "size": 10, "color": colour},
                                     hovertemplate="%{text} at %{x} min<extra></extra>"))
        shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
                   "layer": "below", "fillcolor": PHASES[state], "line": {"width": 0}} for state, x0, x1 in phases]
        shapes += threshold_lines(chart, rules, whole.get("baseline"))
        layout = go.Layout(
            height=230, margin={"l": 48, "r": 12, "t": 28, "b": 36}, template="none",
            showlegend=len(chart["series"]) > 1 or chart["id"] == "hr", legend={"orientation": "h", "y": -0.28,
                                                                                "font": {"size": 11}},
            title={"text": f"{chart['title']} ({chart['unit']})", "font": {"size": 14}, "x": 0, "xanchor": "left"},
            xaxis={"title": {"text": axis, "font": {"size": 11}}, "zeroline": True, "rangemode": "normal"},
            yaxis={"range": list(chart["range"]), "fixedrange": True}, shapes=shapes,
            paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
        open_phase = len(phases) - 1 if phases and steps and steps[-1]["to"] == phases[-1][0] else None
        charts.append({"id": chart["id"], "series": chart["series"], "open_phase": open_phase,
                       "figure": go.Figure(traces, layout).to_plotly_json() | {"config": TREND_CONFIG}})
    return {"seq": whole["seen_seq"], "origin": iso(origin), "vitals": [v["id"] for v in current], "charts": charts}


def reading_trace(key: str, records: list[dict], minutes) -> go.Scatter:
    name = words.short_label(key)[0]
    return go.Scatter(x=[minutes(v["taken_at"]) for v in records], y=[v[key] for v in records], mode="lines+markers",
                      name=name, line={"color": TREND_COLOURS[key], "width": 2}, marker={"size": 5},
                      hovertemplate=f"{name} %{{y}} at %{{x}} min<extra></extra>")


def trend_mark(entry: dict) -> dict:
    """A side effect, note or medication as a marker: its kind, when, and what the hover says."""
    if "severity" in entry:
        serious = " (serious)" if entry["serious"] else ""
        return {"kind": "side_effect", "at": entry["observed_at"],
                "text": f"{entry['severity']} {entry['kind'].replace('_', ' ')}{serious}"}
    medication = entry.get("medication")
    given = f"{medication['name']}{' ' + medication['dose'] if medication.get('dose') else ''}: " if medication else ""
    return {"kind": "medication" if entry["kind"] == "medication" else "note", "at": entry["at"],
            "text": f"{entry['kind'].replace('_', ' ')}: {given}{entry['text']}"}


def threshold_lines(chart: dict, rules: dict, baseline: dict | None) -> list[dict]:
    """The limits in force on this chart's measures, and on the BP chart the rise over this baseline."""
    lines = []
    for key in THRESHOLD_RULES:
        for priority, conditions in rules.get(key, {}).items():
            for measure, comparisons in conditions.items():
                if measure not in chart["series"]:
                    continue
                label = words.short_label(measure)[0]
                lines += [(limit, priority, f"{label} {alert_rules.COMPARISONS[c][1]} {shown_number(limit)}")
                          for c, limit in comparisons.items() if isinstance(limit, (int, float))]
    rise = rules.get("bp_rise", {}).get("medium", {}).get("sbp_rise")
    if "sbp" in chart["series"] and rise and baseline and baseline.get("sbp") is not None:
        limit = baseline["sbp"] + rise["at_least"]
        lines.append((limit, "medium", f"{alert_rules.LABELS['sbp_rise']} {alert_rules.COMPARISONS['at_least'][1]}"
                                       f" {rise['at_least']} ({shown_number(limit)})"))
    return [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y, "layer": "below",
             "line": {"color": PRIORITY_LINES[p][0], "width": 1, "dash": PRIORITY_LINES[p][1]},
             "label": {"text": text, "textposition": "end" if p == "high" else "start",  # apart when close
                       "font": {"size": 10, "color": PRIORITY_LINES[p][0]}}} for y, p, text in lines]


def shown_number(value: float):
    return int(value) if float(value).is_integer() else value
