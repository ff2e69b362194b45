"""The CSV export (issue 10 point 13): a text starting with a carriage return and a formula, or any other
formula start, stays inside its cell and is quoted, as a spreadsheet reads the file."""
from __future__ import annotations

import csv
import io

from monitor.interop.exports import CSV_FIELDS

NOTES = ['\r=HYPERLINK("http://attacker.example","click")', "\r\n@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1",
         "+1-1", "-2+3", "=1+1", "\rplain after a carriage return"]


def test_every_note_stays_in_its_cell_quoted_against_a_formula(api):
    session = api.session()
    for note in NOTES:
        assert api.vitals(session["id"], {"hr": 70, "note": note}).status_code == 201
    text = api.get(f"/api/sessions/{session['id']}/export?format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text, newline="")))  # a bare \r ends a row, as in a spreadsheet
    assert len(rows) == 1 + len(NOTES) and {len(row) for row in rows} == {len(CSV_FIELDS)}
    column = CSV_FIELDS.index("note")
    assert [row[column] for row in rows[1:]] == ["'" + note if note[0] in "\r\t=+-@" else note for note in NOTES]
    assert all(row[0].isdigit() for row in rows[1:])  # no row starts with what was a note
