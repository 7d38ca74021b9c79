"""midoffice engine: the store, its schema, configuration, the end-of-day run and the domains."""

__version__ = "0.1.0"
