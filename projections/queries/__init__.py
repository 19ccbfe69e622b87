"""Reads over the read models: citizen status, queues, figures and periods, the inspector's index,
the summary.
"""
