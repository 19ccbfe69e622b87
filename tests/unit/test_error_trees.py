"""One error tree per package: every exception a package defines lives in its ``errors.py`` and
derives from the package's root, so ``except <Root>`` catches all it raises on purpose.

Walks every module of each package. Module-private classes (``_Refused``: a signal that carries
a reason up a recursion, never raised out of its module) are not errors of the package and are
left out. The witness keeps its own tree (``ledger/witness/errors.py``, the errors of another
party with the tlog-witness statuses they answer), under the ledger's root.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

from api.errors import ApiError
from domain.errors import DomainError
from ledger.errors import LedgerError
from projections.errors import ProjectionError
from signing.errors import SigningError

ROOTS: dict[str, type[Exception]] = {
    "domain": DomainError,
    "signing": SigningError,
    "ledger": LedgerError,
    "projections": ProjectionError,
    "api": ApiError,
}
SUBTREES = {"ledger.witness.errors"}  # a subpackage's own errors module, under the same root


def _modules(package: str) -> list[ModuleType]:
    root = importlib.import_module(package)
    found = [root]
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        found.append(importlib.import_module(info.name))
    return found


def _exceptions(package: str) -> list[type[BaseException]]:
    """The public exception classes defined (not merely imported) in the package's modules."""
    found: list[type[BaseException]] = []
    for module in _modules(package):
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found.append(value)
    return found


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_every_exception_lives_in_the_packages_errors_module(package: str) -> None:
    allowed = {f"{package}.errors"} | {m for m in SUBTREES if m.startswith(package + ".")}
    strays = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _exceptions(package)
        if cls.__module__ not in allowed
    ]
    assert strays == [], f"move these into {package}/errors.py: {strays}"


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_every_exception_derives_from_the_packages_root(package: str) -> None:
    root = ROOTS[package]
    outside = [cls.__qualname__ for cls in _exceptions(package) if not issubclass(cls, root)]
    assert outside == [], f"these do not derive from {root.__name__}: {outside}"


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_every_exception_has_a_docstring(package: str) -> None:
    bare = [cls.__qualname__ for cls in _exceptions(package) if not cls.__doc__]
    assert bare == []


def test_the_walk_finds_the_trees() -> None:
    """The walk itself works: it sees the classes the trees are known to hold."""
    names = {cls.__name__ for package in ROOTS for cls in _exceptions(package)}
    assert {"ProofError", "WitnessSplitView", "PeriodError", "Problem", "CliError"} <= names
