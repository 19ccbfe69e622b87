"""The key directory keeps a key it read while its file is unchanged, and reads again (or
refuses) once the file is replaced, loosened or removed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from signing import KeyDirectory, KeyFileError, generate_private_key, save_private_key_pem


def test_an_unchanged_key_file_is_read_once(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path / "keys")
    made = keys.create("an", seed=b"\x01" * 32)
    first, second = keys.signer("an"), keys.signer("an")
    assert first is second  # kept, not parsed again
    assert first.key_id == made.key_id


def test_a_replaced_key_file_is_read_again(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path / "keys")
    old = keys.create("an", seed=b"\x01" * 32)
    assert keys.signer("an").key_id == old.key_id
    path = tmp_path / "keys" / "an.pem"
    fresh = tmp_path / "new.pem"
    save_private_key_pem(fresh, generate_private_key(b"\x02" * 32))
    os.replace(fresh, path)  # a rotation on disk: another inode
    assert keys.signer("an").key_id != old.key_id


def test_a_loosened_or_removed_key_file_is_refused(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path / "keys")
    keys.create("an", seed=b"\x01" * 32)
    keys.signer("an")
    path = tmp_path / "keys" / "an.pem"
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="too open"):
        keys.signer("an")
    path.unlink()
    with pytest.raises(KeyFileError):
        keys.signer("an")
