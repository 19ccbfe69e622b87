"""The event store (eventsourcing on SQLite or PostgreSQL), group commit, and the side tables
written with the events.
"""
