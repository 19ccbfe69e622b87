"""Commands read the tail of a file they know (``ledger.chain.load_cache``), on both backends.

A command on a file this process verified reads only from the file's last known row on. Its
answer must be the one a ledger that never saw the file would give: the same file after the
command, or the same ``TamperError``; anything unexpected falls back to the full read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain.events import Desk
from domain.file import AdministrativeFile
from ledger.chain.personal import PersonalData
from ledger.chain.service import Ledger
from ledger.errors import TamperError
from ledger.store.events import EventStore
from signing.registry import Role
from tests.support.cast import T0, UNIT, Cast, make_ledger, signer
from tests.support.lifecycle import receive_file
from tests.support.reads import RecordingStore
from tests.support.tamper import (
    edit_sealed_text,
    failure,
    open_file,
    set_state,
    state,
    uncached,
)

PERSON = PersonalData("Lê Minh Tâm", "001190000088", "0900000088", "Hà Nội")
T1 = T0 + timedelta(hours=1)


class Interrupted(Exception):
    pass


def hand_off(
    ledger: Ledger, cast: Cast, code: str, note: str = "", then: Callable[[], None] | None = None
) -> None:
    def command(f: AdministrativeFile) -> None:
        dept = "phong-d" if f.holder.department == "phong-c" else "phong-c"
        f.hand_off(actor="an", to=Desk("an", dept, UNIT), note=note, at=T1)
        if then is not None:
            then()

    ledger.execute(code, signer=cast.officer, actor="an", at=T1, command=command)


def same_as_a_fresh_ledger(ledger: Ledger, code: str) -> None:
    fresh = uncached(ledger).load(code)
    mine = ledger.load(code)
    assert mine.file == fresh.file
    assert mine.envelopes == fresh.envelopes
    assert mine.head_hash == fresh.head_hash


def test_a_command_on_a_known_file_reads_and_checks_only_its_last_row(
    store: EventStore, cast: Cast
) -> None:
    recording = RecordingStore(store)
    ledger = make_ledger(recording, cast)
    code = open_file(ledger, cast, handoffs=3)  # versions 1..4, all known to this ledger
    cache = ledger.load_cache
    tails, misses = cache.tails, cache.misses
    recording.afters.clear()
    hand_off(ledger, cast, code, "lần cuối")
    assert recording.afters == [3]  # the file's rows from version 4 on
    assert (cache.tails, cache.misses) == (tails + 1, misses)
    assert ledger.load(code).file.version == 5
    same_as_a_fresh_ledger(ledger, code)


def test_a_failed_command_leaves_the_known_state_untouched(ledger: Ledger, cast: Cast) -> None:
    """The aggregate a command gets is its own copy: a command that changed it and then
    failed changes nothing for the next one."""
    code = open_file(ledger, cast, handoffs=1)

    def refuse() -> None:
        raise Interrupted("the officer closed the window")

    with pytest.raises(Interrupted):
        hand_off(ledger, cast, code, "bỏ dở", then=refuse)
    assert ledger.load(code).file.version == 2
    hand_off(ledger, cast, code, "tiếp")
    after = ledger.load(code)
    assert after.file.version == 3
    assert [e.type for e in after.envelopes][-1] == "FileHandedOff"
    same_as_a_fresh_ledger(ledger, code)


def test_an_edited_last_row_falls_back_and_fails_as_a_full_check(
    ledger: Ledger, cast: Cast
) -> None:
    code = open_file(ledger, cast, handoffs=2)
    set_state(ledger.store, code, 3, state(ledger.store, code, 3).replace(b"1", b"7", 1))
    expected = failure(uncached(ledger), code)
    with pytest.raises(TamperError) as e:
        hand_off(ledger, cast, code)
    assert (e.value.version, e.value.reason) == expected
    assert len(ledger.store.stream(code)) == 3  # nothing written


def test_an_edited_earlier_row_is_caught_by_every_load(ledger: Ledger, cast: Cast) -> None:
    """The decision, stated: commands compare only the row they build on; ``load`` (and so
    every read path, the audit and a fresh process) still checks every row."""
    code = open_file(ledger, cast, handoffs=3)
    original = state(ledger.store, code, 2)
    set_state(ledger.store, code, 2, edit_sealed_text(original))
    assert failure(ledger, code) == failure(uncached(ledger), code)
    assert failure(ledger, code)[0] == 2
    with pytest.raises(TamperError):
        hand_off(uncached(ledger), cast, code)


def test_rows_another_process_wrote_are_verified_on_top_of_the_known_one(
    ledger: Ledger, cast: Cast
) -> None:
    code = open_file(ledger, cast, handoffs=1)
    other = uncached(ledger)
    hand_off(other, cast, code, "từ nơi khác 1")
    hand_off(other, cast, code, "từ nơi khác 2")
    cache = ledger.load_cache
    tails, misses = cache.tails, cache.misses
    hand_off(ledger, cast, code, "ở đây")
    assert (cache.tails, cache.misses) == (tails + 1, misses + 2)
    assert ledger.load(code).file.version == 5
    same_as_a_fresh_ledger(ledger, code)
    misses = cache.misses
    ledger.load(code)
    assert cache.misses == misses  # what the tail verified joined the cache


def test_an_edited_row_another_process_wrote_fails_as_a_full_check(
    ledger: Ledger, cast: Cast
) -> None:
    code = open_file(ledger, cast, handoffs=1)
    hand_off(uncached(ledger), cast, code, "lần 5")
    set_state(ledger.store, code, 3, edit_sealed_text(state(ledger.store, code, 3)))
    expected = failure(uncached(ledger), code)
    with pytest.raises(TamperError) as e:
        hand_off(ledger, cast, code)
    assert (e.value.version, e.value.reason) == expected
    assert expected[0] == 3


def test_a_write_between_the_read_and_the_store_is_a_conflict_then_retried(
    ledger: Ledger, cast: Cast
) -> None:
    """Another process writes the file while this command runs: the store's unique (stream,
    version) key refuses this write, and the retry reads the other's row and builds on it."""
    code = open_file(ledger, cast, handoffs=1)
    other = uncached(ledger)
    calls = []

    def meanwhile() -> None:
        calls.append(1)
        if len(calls) == 1:
            hand_off(other, cast, code, "chen ngang")

    hand_off(ledger, cast, code, "của tôi", then=meanwhile)
    assert len(calls) == 2
    notes = [ledger.reveal(e.payload.get("note")) for e in ledger.load(code).envelopes[1:]]
    assert notes == ["chuyển lần 0", "chen ngang", "của tôi"]
    same_as_a_fresh_ledger(ledger, code)


def test_a_registry_change_elsewhere_makes_the_command_read_it_all(
    ledger: Ledger, cast: Cast
) -> None:
    code = open_file(ledger, cast, handoffs=2)
    uncached(ledger).register_key(
        signer=cast.admin,
        actor="admin",
        holder="cuong",
        role=Role.OFFICER,
        unit=UNIT,
        public_key=signer(31).public_key,
        valid_from=T1,
        at=T1,
    )
    cache = ledger.load_cache
    tails, misses = cache.tails, cache.misses
    hand_off(ledger, cast, code)
    assert (cache.tails, cache.misses) == (tails, misses + 3)  # every row verified again
    same_as_a_fresh_ledger(ledger, code)


def test_a_file_unknown_to_this_process_is_read_whole(ledger: Ledger, cast: Cast) -> None:
    code = receive_file(uncached(ledger), cast, T1, PERSON)
    cache = ledger.load_cache
    tails, misses = cache.tails, cache.misses
    hand_off(ledger, cast, code)
    assert (cache.tails, cache.misses) == (tails, misses + 1)
    same_as_a_fresh_ledger(ledger, code)
