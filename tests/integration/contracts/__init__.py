"""Contract suites of the storage repositories, each run on SQLite and PostgreSQL."""
