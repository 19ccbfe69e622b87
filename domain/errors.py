"""The domain's error tree: every refusal of a rule is a ``DomainError``."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused a command or a value."""


class InvalidValue(DomainError):
    """A value given to the domain is malformed (a code, a date, an amount...)."""


class CalendarNotPublished(DomainError):
    """A deadline would count days of a year whose working calendar nobody has published."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"the working calendar of {year} is not published: the province's administrator "
            f"publishes it with `hoso calendar publish {year}`"
        )
        self.year = year


class UnknownProcedure(DomainError):
    """The procedure code is not in the catalogue."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown procedure {code!r}")
        self.code = code


class IllegalTransition(DomainError):
    """An action that the file's current state does not allow.

    The message names the file, its state and the refused action, e.g.
    ``file UBX-261123-0001 is 'returned': cannot hand_off (the result was already returned)``.
    """

    def __init__(self, file_code: str, state: str, action: str, reason: str = "") -> None:
        detail = f" ({reason})" if reason else ""
        super().__init__(f"file {file_code} is {state!r}: cannot {action}{detail}")
        self.file_code = file_code
        self.state = state
        self.action = action
        self.reason = reason
