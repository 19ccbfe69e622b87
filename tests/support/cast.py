"""The people of the test ledgers (keys from fixed seeds), their times, and a ledger built for them.

Signer ``n`` has the seed ``bytes([n]) * 32``: 1 authority, 2 unit admin, 3 officer ``an``,
4 officer ``binh``, 5 leader ``chutich``, 6 kiosk, 7 a stranger nobody registered; 42 signs the
log's checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.calendar import vietnam_calendar
from ledger.chain.service import Ledger
from ledger.store.events import EventStore
from signing import PrivateKeySigner, generate_private_key
from signing.note import NoteSigner, NoteVerifier
from signing.registry import Role
from tests.support.clock import Clock

ORIGIN = "test.hoso.vn/ledger"
T0 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # Monday 07:30 in Hanoi
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # when the tests' checkpoints are signed
UNIT = "PTEST"


def signer(n: int) -> PrivateKeySigner:
    return PrivateKeySigner(generate_private_key(bytes([n]) * 32))


LOG_SIGNER = NoteSigner(ORIGIN, generate_private_key(bytes([42]) * 32))
LOG_VERIFIER = NoteVerifier.from_vkey(LOG_SIGNER.vkey())


@dataclass
class Cast:
    authority: PrivateKeySigner
    admin: PrivateKeySigner
    officer: PrivateKeySigner
    officer2: PrivateKeySigner
    leader: PrivateKeySigner
    kiosk: PrivateKeySigner
    stranger: PrivateKeySigner


def the_cast() -> Cast:
    """Signers 1 to 7, in the order of ``Cast``'s fields."""
    return Cast(*(signer(n) for n in range(1, 8)))


def make_ledger(store: EventStore, cast: Cast, clock: Clock | None = None) -> Ledger:
    """A ledger on ``store`` whose registry knows the cast (all of unit ``PTEST``) from ``T0``.

    ``clock``: the server's clock (default: the real one). Tests where a revocation must fall
    between two events on the tests' timeline give one (``Clock(T0)``) and ``set`` it before
    each command: keys are judged at the server's receipt time, not at the claimed one."""
    ledger = Ledger(
        store,
        origin=ORIGIN,
        authority_key=cast.authority.public_key,
        calendar=vietnam_calendar(),
    )
    if clock is not None:
        ledger.clock = clock
    ledger.establish_registry(cast.authority, actor="authority", at=T0)
    ledger.register_key(
        signer=cast.authority,
        actor="authority",
        holder="admin",
        role=Role.UNIT_ADMIN,
        unit=UNIT,
        public_key=cast.admin.public_key,
        valid_from=T0,
        at=T0,
    )
    people = [
        ("an", Role.OFFICER, cast.officer),
        ("binh", Role.OFFICER, cast.officer2),
        ("chutich", Role.LEADER, cast.leader),
        ("kiosk", Role.KIOSK, cast.kiosk),
    ]
    for holder, role, s in people:
        ledger.register_key(
            signer=cast.admin,
            actor="admin",
            holder=holder,
            role=role,
            unit=UNIT,
            public_key=s.public_key,
            valid_from=T0,
            at=T0,
        )
    return ledger
