"""The store: connections and the single writer, migrations, the audit chain, the event log, backups."""
