"""Issue 16, point 1: a value the ledger holds never stops a read model.

The domain now refuses NUL and control characters in what people type (``domain.text``), but
events stored before it (or by a client in clear before sealing) may hold them, and events are
immutable. Here such events are written under the API, behind the domain's back: the read
models follow them (NUL written as ``\\u0000`` on both backends), the files after them are
found by the citizen's lookup, and a rebuild gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from domain.events import ApologyIssued, Desk, FileHandedOff
from domain.file import AdministrativeFile
from ledger.chain.sealed_text import TextSealer
from projections.models.handlers import NAMES
from tests.support.cast import T0, UNIT
from tests.support.http import World, project, receive
from tests.support.projections import host_for, pg_url_of, snapshot

AT = T0 + timedelta(hours=3)
POISON = "lý do\x00x"


class InClear(TextSealer):
    """What a writer did before free text was sealed: nothing."""

    def seal(self, events: Iterable[Any], applicant_ref: str, secret: bytes | None = None) -> Any:
        return list(events)


def _forged(f: AdministrativeFile) -> None:
    """Two events the domain would refuse today: a NUL in a desk and in an apology's reason."""
    f.trigger_event(
        FileHandedOff,
        timestamp=AT,
        actor="an",
        from_desk=f.holder,
        to_desk=Desk("an", "tu\x00phap", UNIT),
        note="",
    )
    f.trigger_event(
        ApologyIssued,
        timestamp=AT,
        actor="an",
        reason=POISON,
        new_appointment_at=f.appointment_at + timedelta(days=2),
    )


def test_read_models_follow_a_stored_nul_and_rebuild_the_same(world: World) -> None:
    ledger = world.ledger
    poisoned = world.receipts[1]
    ledger.files.sealer = InClear(ledger.applicant_secret, ledger.receipts.random)
    ledger.execute(poisoned.code, signer=world.officer, actor="an", at=AT, command=_forged)
    later = receive(ledger, world.officer, 7)  # a file received after the poison
    project(world.settings, ledger)  # would raise ProjectionFailed if a read model stopped

    r = world.client.get(f"/public/files/{later.code}", params={"pin": later.pin})
    assert r.status_code == 200, r.text
    r = world.client.get(f"/public/files/{poisoned.code}", params={"pin": poisoned.pin})
    assert r.status_code == 200, r.text
    assert r.json()["apology_reason"] == "lý do\\u0000x"
    assert r.json()["steps"][-2]["department"] == "tu\\u0000phap"
    # The officer's view reads the events themselves: the NUL is there, and JSON carries it.
    assert world.get("officer", f"/files/{poisoned.code}").json()["apology_reason"] == POISON

    db = ledger.store
    host = host_for(db, ledger, None if db.dialect == "sqlite" else pg_url_of(db))
    try:
        before = snapshot(db)
        assert host.rebuild_all() == dict.fromkeys(NAMES, db.max_position())
        assert snapshot(db) == before
        assert all(s.failed_position is None and s.lag == 0 for s in host.status())
    finally:
        host.close()
