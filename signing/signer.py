"""Who signs: the ``Signer`` interface and its key-file implementations.

A ``Signer`` is a key file today and may be an HSM or a USB token later; callers only see a key id,
a raw public key and ``sign``.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.errors import KeyFileError
from signing.keys import (
    generate_private_key,
    key_id,
    load_private_key_pem,
    public_key_raw,
    save_private_key_pem,
)

__all__ = ["KeyDirectory", "KeyFileSigner", "PrivateKeySigner", "Signer"]

_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SUFFIX = ".pem"


@runtime_checkable
class Signer(Protocol):
    """Something that holds an Ed25519 private key and signs with it."""

    @property
    def key_id(self) -> str:
        """32 hex chars identifying the public key (see ``signing.keys.key_id``)."""
        ...

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        ...


class PrivateKeySigner:
    """A signer holding an Ed25519 private key in memory (tests, demos, base of key files)."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self._public = public_key_raw(key)
        self._key_id = key_id(self._public)

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key_id={self._key_id!r})"


class KeyFileSigner(PrivateKeySigner):
    """A signer whose key lives in a 0600 PEM file, read when ``from_file`` is called."""

    def __init__(self, key: Ed25519PrivateKey, path: Path) -> None:
        super().__init__(key)
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    @classmethod
    def from_file(cls, path: Path) -> KeyFileSigner:
        return cls(load_private_key_pem(path), path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key_id={self.key_id!r}, path={str(self._path)!r})"


def _check_name(name: str) -> str:
    """Key names are ``[A-Za-z0-9._-]{1,64}``, never hidden, never containing ``..``."""
    if (
        not isinstance(name, str)
        or _NAME.fullmatch(name) is None
        or name.startswith(".")
        or ".." in name
    ):
        raise KeyFileError(
            f"invalid key name {name!r}: use 1-64 of A-Z a-z 0-9 . _ -, "
            "not starting with '.' and without '..'"
        )
    return name


class KeyDirectory:
    """A folder (mode 0700) of ``<name>.pem`` private key files."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[tuple[int, ...], KeyFileSigner]] = {}

    @property
    def root(self) -> Path:
        return self._root

    def _path(self, name: str) -> Path:
        return self._root / (_check_name(name) + _SUFFIX)

    def create(self, name: str, seed: bytes | None = None) -> KeyFileSigner:
        """Generate a key (random, or from a 32-byte seed) and store it; never overwrites.

        The folder is created with mode 0700 if missing.
        """
        path = self._path(name)
        key = generate_private_key(seed)
        save_private_key_pem(path, key)
        return KeyFileSigner(key, path)

    def signer(self, name: str) -> KeyFileSigner:
        """The signer for an existing key; ``KeyFileError`` if it is missing or unusable.

        A key read before is kept while its file is unchanged (same inode, mode, size and
        modification time), so a service signing many commands does not parse the PEM each
        time; a replaced, changed or removed file is read (or refused) again.
        """
        path = self._path(name)
        try:
            st = path.stat()
        except OSError:
            return KeyFileSigner.from_file(path)  # its own one-line reason
        stamp = (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns)
        with self._lock:
            kept = self._kept.get(name)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        signer = KeyFileSigner.from_file(path)
        with self._lock:
            self._kept[name] = (stamp, signer)
        return signer

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def names(self) -> list[str]:
        """Sorted names of the valid ``<name>.pem`` files; empty if the folder does not exist."""
        try:
            entries = list(self._root.iterdir())
        except FileNotFoundError:
            return []
        except OSError as e:
            raise KeyFileError(f"{self._root}: cannot list key directory: {e}") from e
        found = []
        for entry in entries:
            if not entry.name.endswith(_SUFFIX) or not entry.is_file():
                continue
            stem = entry.name[: -len(_SUFFIX)]
            try:
                found.append(_check_name(stem))
            except KeyFileError:
                continue
        return sorted(found)
