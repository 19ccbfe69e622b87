"""The verified-prefix cache of ``Ledger.load``, on both backends.

Every answer of a load through the cache must be the answer of a full verification: the same
file, or the same ``TamperError`` (version and reason) as a ledger that never saw the file.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.events import Desk
from ledger.chain.load_cache import VerifiedPrefixCache
from ledger.chain.service import Ledger
from ledger.errors import PermissionRefused
from ledger.store import sql as db_sql
from ledger.store.events import EventStore
from signing.registry import REGISTRY_STREAM, Role
from tests.support.cast import ORIGIN, T0, UNIT, Cast, make_ledger, signer
from tests.support.clock import Clock
from tests.support.tamper import (
    T1,
    edit_sealed_text,
    failure,
    open_file,
    set_state,
    state,
    uncached,
)


def test_written_and_loaded_rows_are_not_verified_again(ledger: Ledger, cast: Cast) -> None:
    code = open_file(ledger, cast)
    cache = ledger.load_cache
    misses = cache.misses
    first, second = ledger.load(code), ledger.load(code)
    assert cache.misses == misses  # what execute() wrote was cached when it was written
    assert first.envelopes == second.envelopes == uncached(ledger).load(code).envelopes
    assert first.head_hash == second.envelopes[-1].hash()
    assert first.file is not second.file  # every load rebuilds its own aggregate
    first.file.hand_off(actor="an", to=Desk("binh", "tu-phap", UNIT), note="", at=T1)
    assert ledger.load(code).file.holder == second.file.holder == Desk("an", "phong-b", UNIT)


def test_a_byte_edited_after_caching_is_caught(ledger: Ledger, cast: Cast) -> None:
    code = open_file(ledger, cast)
    ledger.load(code)
    original = state(ledger.store, code, 3)
    set_state(ledger.store, code, 3, edit_sealed_text(original))
    expected = failure(uncached(ledger), code)
    assert failure(ledger, code) == expected
    assert expected[0] == 3
    assert failure(ledger, code) == expected  # and again: the edited row never joins the cache


def test_a_changed_topic_column_and_a_deleted_row_are_seen(ledger: Ledger, cast: Cast) -> None:
    code = open_file(ledger, cast)
    ledger.load(code)
    store = ledger.store
    db_sql.run(
        store,
        "UPDATE hoso_events SET topic = ? WHERE originator_id = ? AND originator_version = ?",
        ("FileRefused", code, 2),
    )
    assert failure(ledger, code) == failure(uncached(ledger), code)
    db_sql.run(
        store,
        "UPDATE hoso_events SET topic = ? WHERE originator_id = ? AND originator_version = ?",
        ("FileHandedOff", code, 2),
    )
    assert ledger.load(code).file.version == 5
    db_sql.run(
        store,
        "DELETE FROM hoso_events WHERE originator_id = ? AND originator_version = ?",
        (code, 3),
    )
    assert (
        failure(ledger, code)
        == failure(uncached(ledger), code)
        == (
            4,
            "version 4 follows version 2: events are missing",
        )
    )


def test_a_registry_change_makes_every_row_verified_again(ledger: Ledger, cast: Cast) -> None:
    code = open_file(ledger, cast, handoffs=2)
    ledger.load(code)
    misses = ledger.load_cache.misses
    ledger.register_key(
        signer=cast.admin,
        actor="admin",
        holder="cuong",
        role=Role.OFFICER,
        unit=UNIT,
        public_key=signer(30).public_key,
        valid_from=T1,
        at=T1,
    )
    ledger.load(code)
    assert ledger.load_cache.misses == misses + 3
    ledger.load(code)
    assert ledger.load_cache.misses == misses + 3


def test_a_key_revoked_after_caching_refuses_the_next_command(
    store: EventStore, cast: Cast
) -> None:
    """A revocation reaches a ledger whose cache holds the file: the key signs nothing more,
    and what it signed before (received before the revocation) stays valid, cache or not."""
    clock = Clock(T0)
    ledger = make_ledger(store, cast, clock)
    clock.set(T1)
    code = open_file(ledger, cast, handoffs=0)
    later = T1 + timedelta(days=3)
    clock.set(later)
    ledger.execute(
        code,
        signer=cast.officer,
        actor="an",
        at=later,
        command=lambda f: f.hand_off(actor="an", to=Desk("an", "x", UNIT), note="", at=later),
    )
    assert ledger.load(code).file.version == 2
    kid = next(k for k, r in ledger.registry().keys.items() if r.holder == "an")
    revoked = later + timedelta(minutes=5)
    clock.set(revoked)
    ledger.revoke_key(
        signer=cast.admin, actor="admin", kid=kid, effective_at=revoked, reason="mất", at=revoked
    )
    assert ledger.load(code).file.version == uncached(ledger).load(code).file.version == 2
    clock.set(revoked + timedelta(minutes=1))
    with pytest.raises(PermissionRefused, match="not valid at"):
        ledger.execute(
            code,
            signer=cast.officer,
            actor="an",
            at=later,  # a claimed time before the revocation does not help
            command=lambda f: f.hand_off(actor="an", to=Desk("an", "y", UNIT), note="", at=later),
        )


def test_the_cache_is_bounded(store: EventStore, cast: Cast, ledger: Ledger) -> None:
    small = Ledger(
        store,
        origin=ORIGIN,
        authority_key=cast.authority.public_key,
        calendar=ledger.calendar,
        load_cache=VerifiedPrefixCache(max_files=2),
    )
    codes = [open_file(small, cast, handoffs=1) for _ in range(3)]
    for code in codes:
        small.load(code)
    registry_mark = small.registry_cache.state()[1]
    assert small.load_cache.rows(codes[0], registry_mark) == ()
    assert [len(small.load_cache.rows(c, registry_mark)) for c in codes[1:]] == [2, 2]
    misses = small.load_cache.misses
    assert small.load(codes[0]).file.version == 2
    assert small.load_cache.misses == misses + 2


def test_registry_rows_read_before_a_rebuild_are_reread(ledger: Ledger) -> None:
    """Rows fetched after head N, applied once the registry was rebuilt from zero (a registry
    command ran meanwhile): the gap is read again instead of failing as missing events."""
    size = len(ledger.store.stream(REGISTRY_STREAM))
    late = ledger.store.stream(REGISTRY_STREAM, gt=size - 2)
    ledger.registry_cache.reset()
    registry, _mark = ledger.registry_cache.apply(late)
    assert ledger.registry_cache.head() == size
    assert {r.holder for r in registry.keys.values()} >= {"an", "binh", "chutich"}
