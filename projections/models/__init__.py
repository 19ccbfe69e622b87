"""The read models: what each event writes (pure handlers), the rows and their tables."""
