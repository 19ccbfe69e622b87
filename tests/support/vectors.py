"""The shared conformance vectors (RFC 9162 Merkle trees, C2SP signed notes), found in one place.

They stay outside the project: ``../shared/testvectors`` beside the clone, or the directory that
``HOSO_TEST_VECTORS`` names. Nothing is read at import time. Parameter lists give one case per
vector when the set is there, and one placeholder case (id ``vectors-missing``) when it is not;
reading a vector that is not there skips the test with a reason that says where to put the set,
and fails it under ``CI=true`` (``tests/support/outside.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.support.outside import skip_or_fail

ENV = "HOSO_TEST_VECTORS"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
MISSING_ID = "vectors-missing"


def vectors_dir() -> Path:
    """The vector set: ``$HOSO_TEST_VECTORS``, else ``../shared/testvectors`` beside the project."""
    configured = os.environ.get(ENV)
    return Path(configured) if configured else PROJECT_ROOT.parent / "shared" / "testvectors"


def missing_reason(path: Path) -> str:
    """Why a vector test cannot run: what is missing, and where to put the set."""
    return (
        f"test vectors not found at {path}: put the shared test vectors (rfc9162/, "
        f"signed-note.json) in ../shared/testvectors beside the project, or set {ENV} "
        f"to their directory"
    )


def missing(path: Path) -> NoReturn:
    """Skip the running test because ``path`` is missing (fail it under ``CI=true``)."""
    skip_or_fail(missing_reason(path), what="the vector tests")


def read_json(path: Path) -> Any:
    """One vector file's JSON; skips (fails under ``CI=true``) when the file is not there."""
    if not path.is_file():
        missing(path)
    return _parsed(path)


@cache
def _parsed(path: Path) -> Any:
    return json.loads(path.read_text())


# --- RFC 9162 (transparency-dev/merkle) ---------------------------------------------------------


def rfc9162_dir() -> Path:
    return vectors_dir() / "rfc9162"


def rfc9162_roots() -> dict[str, Any]:
    """``roots.json``: the leaf inputs and the root hash of every prefix of them."""
    roots: dict[str, Any] = read_json(rfc9162_dir() / "roots.json")
    return roots


def rfc9162_root_sizes() -> list[pytest.ParameterSet]:
    """One case per tree size in ``roots.json`` (ids 0, 1, ...), or the placeholder."""
    path = rfc9162_dir() / "roots.json"
    if not path.is_file():
        return [pytest.param(0, id=MISSING_ID)]
    sizes = range(len(read_json(path)["root_hash_by_tree_size_hex"]))
    return [pytest.param(size, id=str(size)) for size in sizes]


def rfc9162_files(
    kind: str, where: Callable[[Path], bool] = lambda _: True
) -> list[pytest.ParameterSet]:
    """One case per ``kind/**/*.json`` file kept by ``where`` (id: its path under ``rfc9162/``),
    or the placeholder (a path that is not there, so reading it skips or fails)."""
    folder = rfc9162_dir() / kind
    paths = [p for p in sorted(folder.rglob("*.json")) if where(p)] if folder.is_dir() else []
    if not paths:
        return [pytest.param(folder, id=MISSING_ID)]
    return [pytest.param(p, id=str(p.relative_to(rfc9162_dir()))) for p in paths]


def rfc9162_file_paths(kind: str) -> list[Path]:
    """Every ``kind/**/*.json`` file; skips (fails under ``CI=true``) without them."""
    folder = rfc9162_dir() / kind
    if not folder.is_dir():
        missing(folder)
    return sorted(folder.rglob("*.json"))


# --- C2SP signed notes --------------------------------------------------------------------------


def signed_notes() -> list[dict[str, Any]]:
    """``signed-note.json``: notes, their verifier keys and whether they must verify."""
    cases: list[dict[str, Any]] = read_json(vectors_dir() / "signed-note.json")
    return cases


def signed_note_indexes() -> list[pytest.ParameterSet]:
    """One case per signed note (its index; id: its ``desc``), or the placeholder."""
    path = vectors_dir() / "signed-note.json"
    if not path.is_file():
        return [pytest.param(0, id=MISSING_ID)]
    return [pytest.param(i, id=case["desc"]) for i, case in enumerate(read_json(path))]
