"""Read models: the dashboard picture, the session record and series, reports, the REMS form."""
