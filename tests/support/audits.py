"""A small audited ledger (twelve files through their lifecycle) and the ways to break it.

The parallel audit's tests and the audit worker's tests break the same rows the same ways:
a changed payload byte, a deleted middle event, an event forged straight into the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ledger.audit.full import AuditReport, audit_report
from ledger.chain.service import Ledger
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from signing import PrivateKeySigner
from tests.support import tamper
from tests.support.cast import NOW, ORIGIN, Cast, signer
from tests.support.tamper import append_forged


@dataclass
class Demo:
    """Twelve files on a ledger, to audit and to break."""

    store: EventStore
    ledger: Ledger
    cast: Cast
    codes: list[str]

    def audit(self, workers: int, chunk_size: int = 4) -> AuditReport:
        return audit_report(
            self.store,
            origin=ORIGIN,
            authority_key=self.cast.authority.public_key,
            workers=workers,
            chunk_size=chunk_size,
        )

    def row(self, code: str, version: int) -> bytes:
        return tamper.state(self.store, code, version)

    def set_state(self, code: str, version: int, state: bytes) -> None:
        tamper.set_state(self.store, code, version, state)

    def break_signature(self, code: str, version: int = 2) -> None:
        """A changed payload byte: everything parses, only the signature no longer verifies."""
        state = self.row(code, version)
        assert b'"note":""' in state
        self.set_state(code, version, state.replace(b'"note":""', b'"note":"x"'))

    def break_chain(self, code: str) -> None:
        """A deleted middle event: version 3 no longer follows anything."""
        db_sql.run(
            self.store,
            "DELETE FROM hoso_events WHERE originator_id = ? AND originator_version = 2",
            (code,),
        )

    def add_unregistered(self, code: str) -> int:
        return self.forge(code, "an", signer(99))

    def forge(
        self, code: str, actor: str, by: PrivateKeySigner, at: datetime = NOW, prev: str = ""
    ) -> int:
        """Append a FileRefused to ``code`` straight into the store (no rule checked)."""
        return append_forged(
            self.ledger, code, by, actor=actor, occurred=at, recorded=at, prev_hash=prev or None
        )
