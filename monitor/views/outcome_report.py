"""The clinic's outcomes (/reports, GET /api/reports/outcomes): response and remission after infusions 2,
4 and 6, how many patients reach each infusion (the retention funnel), and the median change by
indication, over the courses that began in a window. Each figure comes with the numbers behind it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database

from ..rules import instruments, outcomes, rulesets
from ..timeutil import iso
from .reports import median

AFTER_INFUSIONS = (2, 4, 6)


def outcome_report(db: Database, now: datetime, weeks: int = 26) -> dict:
    """Courses whose first infusion was given in the last `weeks` weeks, and how they went."""
    settings = rulesets.in_force(db)["outcomes"]
    since = iso(now - timedelta(weeks=weeks))
    patients = list(dict.fromkeys(row[0] for row in db.execute(  # on the first-dose index, in dosing order
        "SELECT patient_id FROM sessions WHERE first_dose_at >= ? ORDER BY first_dose_at", (since,))))
    courses = []
    for start in range(0, len(patients), CHUNK):
        courses += patient_courses(db, patients[start:start + CHUNK], settings)
    courses = [c for c in courses if c["doses"] and c["doses"][0] >= since]  # began in the window
    return {"since": since, "weeks": weeks, "patients": len(courses),
            "after_infusions": after_infusions(courses), "funnel": funnel(courses, settings["course_infusions"]),
            "change_by_indication": change_by_indication(courses, settings)}


CHUNK = 500  # patients read in one query (SQLite's parameter limit is far above)


def patient_courses(db: Database, patient_ids: list[int], settings: dict) -> list[dict]:
    """Each patient's infusion times, indication and each outcome measure's course, in two queries for
    the whole chunk (the course rules of views.course: a session's last score, in course order)."""
    marks = ", ".join("?" for _ in patient_ids)
    rows = db.execute(f"SELECT id, patient_id, first_dose_at, indication, series_number FROM sessions"
                      f" WHERE patient_id IN ({marks})", patient_ids).fetchall()
    names = list(instruments.OUTCOMES)
    scored = db.execute(
        f"SELECT a.session_id, a.instrument, a.total, a.at, a.id FROM assessments a WHERE a.instrument IN"
        f" ({', '.join('?' for _ in names)}) AND a.session_id IN (SELECT id FROM sessions WHERE patient_id IN"
        f" ({marks}))", names + patient_ids).fetchall()
    last: dict[tuple[int, str], tuple] = {}
    for session_id, name, total, at, assessment_id in scored:
        key = (session_id, name)
        if key not in last or (at, assessment_id) > last[key][:2]:
            last[key] = (at, assessment_id, total)
    by_patient: dict[int, list] = {pid: [] for pid in patient_ids}
    for row in rows:
        by_patient[row[1]].append(row)
    courses = []
    for patient_id, own in by_patient.items():
        order = sorted(own, key=lambda r: (r[4] is None, r[4] or 0, r[0]))
        doses = sorted(r[2] for r in own if r[2])
        first = min((r for r in own if r[2]), key=lambda r: r[2], default=None)
        scores = {}
        for name in names:
            found = [{"session_id": r[0], "at": last[(r[0], name)][0], "total": last[(r[0], name)][2]}
                     for r in order if (r[0], name) in last]
            if found:
                scores[name] = outcomes.course_series(name, found, settings)
        courses.append({"patient_id": patient_id, "doses": doses,
                        "indication": indication_of([(None, first[3])] if first else [], settings),
                        "scores": scores})
    return courses


def indication_of(rows: list, settings: dict) -> str:
    """The indication group of the course (the settings' names: ptsd, depression, anxiety, other)."""
    text = (rows[0][1] or "").lower() if rows else ""
    return next((key for key in settings["instruments_by_indication"] if key != "other" and key in text), "other")


def score_after(points: list[dict], doses: list[str], infusion: int) -> dict | None:
    """The first score taken after infusion `infusion`'s dose and by the next dose (None if none)."""
    if len(doses) < infusion:
        return None
    until = doses[infusion] if len(doses) > infusion else "9999"
    return next((p for p in points if doses[infusion - 1] < p["at"] <= until and not p["is_baseline"]), None)


def after_infusions(courses: list[dict]) -> list[dict]:
    """Per outcome measure and infusion 2, 4, 6: patients scored then, and how many responded or remitted."""
    table = []
    for name in instruments.OUTCOMES:
        for infusion in AFTER_INFUSIONS:
            found = [p for c in courses if name in c["scores"]
                     and (p := score_after(c["scores"][name], c["doses"], infusion))]
            responded = sum(bool(p["response"]) for p in found)
            remitted = sum(bool(p["remission"]) for p in found)
            table.append({"instrument": name, "after_infusion": infusion, "scored": len(found),
                          "responded": responded, "remitted": remitted,
                          "response_percent": percent(responded, len(found)),
                          "remission_percent": percent(remitted, len(found))
                          if any(p["remission"] is not None for p in found) else None})
    return [row for row in table if any(r["scored"] for r in table if r["instrument"] == row["instrument"])]


def funnel(courses: list[dict], course_infusions: int) -> list[dict]:
    """How many patients reached each infusion number of the course."""
    started = len(courses)
    return [{"infusion": n, "patients": (reached := sum(len(c["doses"]) >= n for c in courses)),
             "percent": percent(reached, started)} for n in range(1, course_infusions + 1)]


def change_by_indication(courses: list[dict], settings: dict) -> list[dict]:
    """Per indication and outcome measure: the median change of the latest score from baseline."""
    rows = []
    for group in settings["instruments_by_indication"]:
        for name in instruments.OUTCOMES:
            changes = sorted(c["scores"][name][-1]["change_pct"] for c in courses
                             if c["indication"] == group and name in c["scores"]
                             and c["scores"][name][-1]["change_pct"] is not None)
            if changes:
                rows.append({"indication": group, "instrument": name, "patients": len(changes),
                             "median_change_pct": round(median(changes), 1)})
    return rows


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def charts(report: dict) -> dict:
    """Plotly figures (JSON-ready dicts) of the report; the tables beside them hold the numbers."""
    import plotly.graph_objects as go  # only the reports page draws them; the rest of the app never loads it

    rates = [r for r in report["after_infusions"] if r["instrument"] == "phq9"] or report["after_infusions"][:3]
    x = [f"after infusion {r['after_infusion']}" for r in rates]
    response = go.Figure([go.Bar(name="response %", x=x, y=[r["response_percent"] for r in rates]),
                          go.Bar(name="remission %", x=x, y=[r["remission_percent"] for r in rates])],
                         layout={"template": "none", "barmode": "group", "yaxis": {"title": {"text": "% of scored"},
                                                                                   "range": [0, 100]}})
    retention = go.Figure([go.Bar(name="patients", orientation="h", x=[f["patients"] for f in report["funnel"]],
                                  y=[f"infusion {f['infusion']}" for f in report["funnel"]])],
                          layout={"template": "none", "yaxis": {"autorange": "reversed"},
                                  "xaxis": {"title": {"text": "patients who reached it"}}})
    change = go.Figure([go.Bar(name=name, x=[r["indication"] for r in report["change_by_indication"]
                                             if r["instrument"] == name],
                               y=[r["median_change_pct"] for r in report["change_by_indication"]
                                  if r["instrument"] == name])
                        for name in instruments.OUTCOMES],
                       layout={"template": "none", "barmode": "group",
                               "yaxis": {"title": {"text": "median change from baseline %"}}})
    return {"response": response.to_plotly_json(), "retention": retention.to_plotly_json(),
            "change": change.to_plotly_json()}
