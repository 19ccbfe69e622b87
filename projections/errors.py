"""The projections' one error tree: every error the read side raises on purpose is a
``ProjectionError``::

    ProjectionError
    ├── ProjectionFailed                  a projection stopped at an event (engine)
    ├── PeriodError (also ValueError)     a reporting period that does not parse (queries)
    └── EntriesDoNotMatch                 the log's entries do not give a checkpoint's root (d766)
"""

from __future__ import annotations

__all__ = ["EntriesDoNotMatch", "PeriodError", "ProjectionError", "ProjectionFailed"]


class ProjectionError(Exception):
    """Root of every error the projections raise."""


class ProjectionFailed(ProjectionError):
    """A projection's handler or write failed: it stopped at the event before ``position`` and
    will stop there again until the cause is fixed (nothing is skipped)."""

    def __init__(self, name: str, position: int, error: str) -> None:
        super().__init__(f"projection {name} stopped at event {position}: {error}")
        self.name, self.position, self.error = name, position, error

    def __reduce__(self) -> tuple[type[ProjectionFailed], tuple[str, int, str]]:
        """Pickled whole (it crosses from a rebuild's partition process to its parent)."""
        return type(self), (self.name, self.position, self.error)


class PeriodError(ProjectionError, ValueError):
    """A period label or value that does not name a valid reporting period (kỳ báo cáo)."""


class EntriesDoNotMatch(ProjectionError):
    """The log's entries up to a checkpoint do not hash to its signed root: no figures are
    computed from them (``d766.at_checkpoint``)."""
