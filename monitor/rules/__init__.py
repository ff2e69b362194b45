"""The clinical rules as data: validation tiers, NEWS2, instruments, alert thresholds and the rule set in force."""
