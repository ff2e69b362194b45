"""The trend chart of the printable record as SVG geometry: crisp on paper, no script needed to print."""
from __future__ import annotations

import math
from datetime import datetime, tzinfo

from ..timeutil import parse_stored

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34
# measure, label, colour, dash pattern (distinct in black and white too)
SERIES = (
    ("sbp", "SBP", "#a3001b", ""),
    ("dbp", "DBP", "#a3001b", "6 4"),
    ("hr", "HR", "#0b5cad", ""),
    ("spo2", "SpO2", "#1d6b35", "2 3"),
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
    for key, label, colour, dash in SERIES:
        points = [(x(m), y(r[key])) for m, r in zip(moments, rows) if r.get(key) is not None]
        if points:
            lines.append({"key": key, "label": label, "colour": colour, "dash": dash, "points": points,
                          "path": " ".join(f"{px},{py}" for px, py in points)})
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
