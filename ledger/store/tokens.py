"""The API tokens' table (``hoso_tokens``): one row per issued token, kept after revocation.

Only the token's SHA-256 hash is stored, with its short id, the actor, role and unit(s) it is
bound to; what a role may do is the HTTP layer's business (``api.http.auth``). The table is
made on first use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ledger.store.events import EventStore
from ledger.store.schema import TOKENS_TABLE


def token_hash(token: str) -> str:
    """What is stored of a bearer token: its SHA-256, hex (enough for a secret of 256 random
    bits; the hash is what a database thief gets)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenRow:
    """One stored token: never the token itself, only its hash."""

    token_hash: str
    token_id: str
    actor: str
    role: str
    unit: str
    units: str  # JSON list of the units served
    created_at: str
    revoked_at: str | None


_COLUMNS = "token_hash, token_id, actor, role, unit, units, created_at, revoked_at"


class TokenRepository:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def ensure_table(self) -> None:
        self.store._execute(TOKENS_TABLE)

    def add(self, row: TokenRow) -> None:
        """Store a new token (its hash and id must be new)."""
        self.store._execute(
            "INSERT INTO hoso_tokens (token_hash, token_id, actor, role, unit, units, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                row.token_hash,
                row.token_id,
                row.actor,
                row.role,
                row.unit,
                row.units,
                row.created_at,
            ),
        )

    def revoke(self, token_id: str, at: str) -> bool:
        """Mark an active token revoked at ``at``; False if there is no such active token."""
        return bool(
            self.store._execute(
                "UPDATE hoso_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL "
                "RETURNING token_id",
                (at, token_id),
            )
        )

    def find_active(self, token_hash: str) -> TokenRow | None:
        """The token of this hash, if it was issued and not revoked."""
        found = self.store._query(
            f"SELECT {_COLUMNS} FROM hoso_tokens WHERE token_hash = ? AND revoked_at IS NULL",  # noqa: S608
            (token_hash,),
        )
        return _row(found[0]) if found else None

    def all(self) -> list[TokenRow]:
        """Every token, active or revoked, oldest first."""
        found = self.store._query(
            f"SELECT {_COLUMNS} FROM hoso_tokens ORDER BY created_at, token_id",  # noqa: S608
        )
        return [_row(r) for r in found]


def _row(r: dict[str, object]) -> TokenRow:
    revoked = r["revoked_at"]
    return TokenRow(
        token_hash=str(r["token_hash"]),
        token_id=str(r["token_id"]),
        actor=str(r["actor"]),
        role=str(r["role"]),
        unit=str(r["unit"]),
        units=str(r["units"]),
        created_at=str(r["created_at"]),
        revoked_at=None if revoked is None else str(revoked),
    )
