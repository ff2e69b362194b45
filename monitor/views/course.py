"""A patient's course at a glance (CLINICAL.md §8): each outcome measure's totals per infusion with
baseline, change, response, remission and worsening, the days between infusions, and "not returned"
when the next infusion is overdue. The API's `GET /api/patients/{id}` and the series page read it.
"""
from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from ..record import assessments, sessions
from ..rules import instruments, outcomes, rulesets
from ..timeutil import iso, parse_stored
from . import session_record

POINT_FIELDS = ("session_id", "series_number", "at", "total", "band", "baseline", "change", "change_pct",
                "response", "remission", "worsening", "meaningful_fall", "answered_by", "entered_by", "items")


def course(db: Database, patient_id: int, now: datetime) -> dict:
    """The treatment series with the outcome measures across it and where the course stands."""
    series = session_record.treatment_series(db, patient_id)
    settings = rulesets.in_force(db)["outcomes"]
    numbers = {row["id"]: row["series_number"] for row in series["sessions"]}
    measured = {}
    for instrument in instruments.OUTCOMES:
        scores = [s | {"series_number": numbers[s["session_id"]]}
                  for s in assessments.course_scores(db, patient_id, instrument)]
        if scores:
            measured[instrument] = [{k: p[k] for k in POINT_FIELDS}
                                    for p in outcomes.course_series(instrument, scores, settings)]
    rows = with_gaps(series["sessions"])
    for row in rows:
        row["outcomes"] = {name: next((p["total"] for p in points if p["session_id"] == row["id"]), None)
                           for name, points in measured.items()}
    return series | {"sessions": rows, "outcomes": measured,
                     "summary": {name: summary(points) for name, points in measured.items()},
                     "course": standing(rows, now, settings)}


def with_gaps(rows: list[dict]) -> list[dict]:
    """Each session with the days since the previous infusion given (None for the first)."""
    out, previous = [], None
    for row in rows:
        given = row["started_at"]
        days = None
        if given and previous:
            days = round((parse_stored(given) - parse_stored(previous)).total_seconds() / 86400, 1)
        out.append(row | {"days_since_previous": days})
        previous = given or previous
    return out


def summary(points: list[dict]) -> dict:
    """An instrument over the course: its baseline, its latest score and where that stands."""
    first, last = points[0], points[-1]
    return {"baseline": first["total"], "baseline_band": first["band"], "latest": last["total"],
            "latest_band": last["band"], "change_pct": last["change_pct"], "response": last["response"],
            "remission": last["remission"], "scores": len(points),
            "worsening": [p["session_id"] for p in points if p["worsening"]]}


def standing(rows: list[dict], now: datetime, settings: dict) -> dict:
    """How many infusions were given, and whether the patient has not returned in time for the next."""
    given = [row for row in rows if row["started_at"]]
    last = max((parse_stored(row["started_at"]) for row in given), default=None)
    booked = any(not row["started_at"] and row["state"] not in sessions.FINAL for row in rows)
    found = outcomes.not_returned(last, len(given), booked, now, settings)
    return {"infusions_given": len(given), "course_infusions": settings["course_infusions"],
            "last_given_at": iso(last) if last else None, "booked": booked,
            "next_due_by": iso(found["next_due_by"]) if found["next_due_by"] else None,
            "days_since_last": found["days_since_last"], "not_returned": found["not_returned"]}


BAND_COLOURS = ("#e8f3ea", "#f6f1dc", "#f8e6d2", "#f5d9d3", "#efc9c9")  # light, from best to worst band


def charts(whole: dict, settings: dict) -> dict:
    """One plotly figure (a JSON-ready dict) per outcome measure: totals per infusion over shaded bands,
    the baseline, the response line (half the baseline) and the remission cut-off; responses, remissions
    and worsening marked. The tables beside the charts hold every number."""
    import plotly.graph_objects as go  # only the series page draws them; the rest of the app never loads it

    figures = {}
    for name, points in whole["outcomes"].items():
        spec = instruments.OUTCOMES[name]
        top = sum(high for _, high in spec["items"].values())
        x = [f"Infusion {p['series_number'] or n}" for n, p in enumerate(points, start=1)]
        figure = go.Figure(layout={"template": "none", "height": 320, "margin": {"l": 56, "r": 120, "t": 24, "b": 48},
                                   "yaxis": {"title": {"text": f"{spec['title'].split(' (')[0]} total"},
                                             "range": [0, top]},
                                   "legend": {"orientation": "h", "y": -0.2}, "showlegend": True})
        for (low, band), colour in zip(band_edges(name, settings, top), BAND_COLOURS):
            figure.add_hrect(y0=low[0], y1=low[1], fillcolor=colour, line_width=0, layer="below",
                             annotation_text=band, annotation_position="right")
        figure.add_trace(go.Scatter(name="total", x=x, y=[p["total"] for p in points], mode="lines+markers",
                                    line={"color": "#0b5cad", "width": 3}, marker={"size": 10}))
        baseline = points[0]["total"]
        figure.add_hline(y=baseline, line_dash="dot", line_color="#444",
                         annotation_text=f"baseline {baseline}", annotation_position="top left")
        if baseline:
            figure.add_hline(y=baseline * (100 - settings["response_fall_pct"]) / 100, line_dash="dash",
                             line_color="#1d6b35", annotation_text="response", annotation_position="bottom left")
        marks = (("response", "responded", "#1d6b35", "star"), ("remission", "in remission", "#0b5cad", "diamond"),
                 ("worsening", "worse by 5 or more", "#a3001b", "triangle-up"))
        for key, label, colour, symbol in marks:
            chosen = [(xx, p["total"]) for xx, p in zip(x, points) if p[key]]
            if chosen:
                figure.add_trace(go.Scatter(name=label, x=[c[0] for c in chosen], y=[c[1] for c in chosen],
                                            mode="markers", marker={"size": 16, "color": colour, "symbol": symbol}))
        figures[name] = figure.to_plotly_json()
    return figures


def band_edges(name: str, settings: dict, top: int) -> list[tuple[tuple[int, int], str]]:
    """Each band of an instrument as ((lowest, highest) totals, name), the clinic's cut-offs applied."""
    lows = [(settings.get(low, instruments.PCL5_PROBABLE_AT_LEAST) if isinstance(low, str) else low, band)
            for low, band in instruments.OUTCOMES[name]["bands"]]
    return [((low, nxt[0] if nxt else top), band) for (low, band), nxt in zip(lows, lows[1:] + [None])]
