"""Running projections: eventsourcing tracking recorders, catch-up pipeline and batches, positions
committed with rows.
"""
