"""The vector finder (tests/support/vectors.py): where it looks; skip or fail without the set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import vectors


@pytest.fixture
def vector_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small vector set in a temporary directory, named by ``HOSO_TEST_VECTORS``."""
    (tmp_path / "rfc9162" / "inclusion" / "0").mkdir(parents=True)
    (tmp_path / "rfc9162" / "inclusion" / "0" / "happy-path.json").write_text('{"wantErr": false}')
    (tmp_path / "rfc9162" / "inclusion" / "0" / "wrong-root.json").write_text('{"wantErr": true}')
    roots = {"leaf_inputs_hex": [""], "root_hash_by_tree_size_hex": ["00", "11"]}
    (tmp_path / "rfc9162" / "roots.json").write_text(json.dumps(roots))
    (tmp_path / "signed-note.json").write_text(json.dumps([{"desc": "one"}, {"desc": "two"}]))
    monkeypatch.setenv(vectors.ENV, str(tmp_path))
    return tmp_path


@pytest.fixture
def no_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``HOSO_TEST_VECTORS`` naming a directory that is not there."""
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(vectors.ENV, str(missing))
    return missing


def _ids(params: list[pytest.ParameterSet]) -> list[str | None]:
    return [str(p.id) if p.id is not None else None for p in params]


def test_the_default_is_shared_testvectors_beside_the_project(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(vectors.ENV, raising=False)
    assert vectors.vectors_dir() == vectors.PROJECT_ROOT.parent / "shared" / "testvectors"
    assert (vectors.PROJECT_ROOT / "pyproject.toml").is_file()


def test_the_environment_names_the_set(vector_set: Path) -> None:
    assert vectors.vectors_dir() == vector_set
    assert vectors.rfc9162_roots()["root_hash_by_tree_size_hex"] == ["00", "11"]
    assert [c["desc"] for c in vectors.signed_notes()] == ["one", "two"]
    assert len(vectors.rfc9162_file_paths("inclusion")) == 2


def test_one_case_per_vector_when_the_set_is_there(vector_set: Path) -> None:
    inclusion = vectors.rfc9162_files("inclusion")
    assert _ids(inclusion) == ["inclusion/0/happy-path.json", "inclusion/0/wrong-root.json"]
    assert [p.values[0] for p in inclusion] == sorted(vector_set.rglob("inclusion/**/*.json"))
    happy = vectors.rfc9162_files("inclusion", where=lambda p: p.name == "happy-path.json")
    assert _ids(happy) == ["inclusion/0/happy-path.json"]
    assert _ids(vectors.rfc9162_root_sizes()) == ["0", "1"]
    assert _ids(vectors.signed_note_indexes()) == ["one", "two"]
    assert [p.values[0] for p in vectors.signed_note_indexes()] == [0, 1]


def test_one_placeholder_case_without_the_set(no_vectors: Path) -> None:
    for params in (
        vectors.rfc9162_files("inclusion"),
        vectors.rfc9162_files("consistency", where=lambda _: True),
        vectors.rfc9162_root_sizes(),
        vectors.signed_note_indexes(),
    ):
        assert _ids(params) == [vectors.MISSING_ID]


def test_no_file_to_run_is_a_missing_set_too(
    vector_set: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    none = vectors.rfc9162_files("inclusion", where=lambda _: False)
    assert _ids(none) == [vectors.MISSING_ID]
    placeholder = none[0].values[0]
    assert isinstance(placeholder, Path)
    with pytest.raises(pytest.skip.Exception):
        vectors.read_json(placeholder)


def test_without_the_set_a_vector_test_skips_with_where_to_put_it(
    no_vectors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        vectors.rfc9162_roots()
    reason = str(skipped.value)
    assert str(no_vectors / "rfc9162" / "roots.json") in reason
    assert "../shared/testvectors" in reason
    assert vectors.ENV in reason
    placeholder = vectors.rfc9162_files("inclusion")[0].values[0]
    assert isinstance(placeholder, Path)
    with pytest.raises(pytest.skip.Exception):
        vectors.read_json(placeholder)


def test_under_ci_a_missing_set_fails_with_the_same_reason(
    no_vectors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failed:
        vectors.signed_notes()
    message = str(failed.value)
    assert vectors.missing_reason(no_vectors / "signed-note.json") in message
    assert message.startswith("CI=true")
    with pytest.raises(pytest.fail.Exception):
        vectors.rfc9162_file_paths("consistency")
