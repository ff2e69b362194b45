"""Alerts: the engine that keeps them, the triggers that feed it a write's events, the scheduler of time rules."""
