"""midoffice connectors: recognise feed files and turn them into canonical rows (and quarantine)."""
