"""The clinical record and its writes: patients, sessions, vitals, side effects, assessments, notes, users."""
