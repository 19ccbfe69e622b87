"""What a test does when something outside the project is missing (a database, the shared vectors).

It skips with a reason that says what to provide, so a clone of the project alone still runs its
suite; under ``CI=true`` the same absence is a failure, so CI never passes by skipping.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def under_ci() -> bool:
    """Whether the suite runs in CI (``CI=true``), where nothing may be skipped for lack of it."""
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str, *, what: str) -> NoReturn:
    """Skip the running test with ``reason``; under ``CI=true`` fail it: ``what`` cannot run."""
    if under_ci():
        pytest.fail(f"CI=true and {what} cannot run: {reason}")
    pytest.skip(reason)
