"""One vocabulary: the labels and clinical numbers the scripts use come from monitor/views/vocabulary.py,
and no file in static/js types one of them itself."""
from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html

from monitor.rules.alert_rules import DEFAULT_RULES
from monitor.views import vocabulary
from tests.helpers import sign_in

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "static" / "js").glob("*.js"))
STRUCTURAL = {0, 1, 2, 3, 60}  # counting (and the priority ranks), minutes per hour: not clinical numbers
LITERAL = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|`(?:[^`\\]|\\.)*`")
COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def leaves(node):
    """Every string and number in a JSON-like value, keys left out."""
    if isinstance(node, dict):
        for value in node.values():
            yield from leaves(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from leaves(value)
    elif not isinstance(node, bool):
        yield node


def words_for_scripts() -> tuple[set[str], set[float]]:
    """The labels (not the field names, which are the API's keys) and the clinical numbers the scripts get:
    the rule settings and the trends' axes (the alarm sounds' timings are sound, not clinical numbers)."""
    given = vocabulary.for_scripts(DEFAULT_RULES)
    names = set(given["fields"]) | set(given["short"]) | set(given["states"]) | set(given["side_effects"])
    labels = {v for v in leaves(given) if isinstance(v, str) and re.search(r"[A-Za-z]{2}", v) and v not in names}
    clinical = (given["settings"], given["tile_trend"], [chart["range"] for chart in given["trend_charts"]])
    numbers = {v for v in leaves(clinical) if isinstance(v, (int, float)) and v not in STRUCTURAL}
    return labels, numbers


def code_of(script: Path) -> str:
    return COMMENT.sub("", script.read_text())


def test_the_vocabulary_holds_the_labels_states_priorities_and_rule_settings_of_the_pages():
    given = vocabulary.for_scripts(DEFAULT_RULES)
    assert given["short"]["temp_c"] == {"label": "Temp", "unit": "°C"}
    assert given["fields"]["temp_c"] == {"label": "Temperature", "unit": "°C"}
    assert given["states"]["ready"] == "Ready for discharge"
    assert given["final"] == ("discharged", "aborted")
    assert given["priorities"]["high"] == {"rank": 3, "word": "High"}
    assert given["settings"] == {"overdue_minutes": {"infusing": 15, "recovery": 20}, "silence_minutes": 2,
                                 "planned_minutes": 40, "news2_window_minutes": 30}
    assert given["password_min"] == 8
    labels, numbers = words_for_scripts()
    assert {"SpO2", "MOAA/S", "Ready for discharge", "Medium", "mmHg", "Blurred vision"} <= labels
    assert {15, 20, 30, 120, 180} <= numbers


def test_no_script_types_a_label_of_the_vocabulary():
    labels, _ = words_for_scripts()
    found = []
    for script in SCRIPTS:
        for literal in LITERAL.findall(code_of(script)):
            text = re.sub(r"\$\{[^}]*\}", " ", literal[1:-1])
            found += [(script.name, label) for label in labels
                      if re.search(rf"(?<![\w/]){re.escape(label)}(?![\w/])", text)]
    assert found == []


def test_no_script_types_a_clinical_number_of_the_vocabulary():
    _, numbers = words_for_scripts()
    found = [(script.name, number) for script in SCRIPTS for number in numbers
             if re.search(rf"(?<![\w.]){re.escape(f'{number:g}')}(?![\w.])", code_of(script))]
    assert found == []


def test_every_page_hands_the_scripts_the_vocabulary_with_the_rules_in_force(client, api):
    rules = json.loads(json.dumps(DEFAULT_RULES))
    rules["vitals_overdue"]["infusing_overdue"] = 12
    assert api.put("/api/alert-rules", {"rules": rules, "reason": "clinic protocol"}).status_code == 200
    session = api.session()
    sign_in(client, "nurse")
    for path in ("/", f"/sessions/{session['id']}", "/reports"):
        body = lxml.html.fromstring(client.get(path).get_data(as_text=True)).body
        given = json.loads(body.get("data-vocabulary"))
        assert given["settings"]["overdue_minutes"] == {"infusing": 12, "recovery": 20}
        assert given["states"]["infusing"] == "Infusing"
