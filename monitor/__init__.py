"""Infusion Monitor: session records, live monitoring and alerts for ketamine clinics.

The domain lives in flat modules named for it (sessions, vitals, alerts, audit...);
`monitor.web` holds the doors into it (HTTP API, pages, live stream) and
`monitor.cli` the command line. Nothing is built at import time.
"""

__version__ = "0.1.0"
