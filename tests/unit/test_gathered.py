"""``api.http.gathered.Gathered``: calls waiting at one moment share one run, each gets its own
result, and a failed run fails every call of its batch (and only those)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from api.http.gathered import Gathered, each_once

T = TypeVar("T")


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())`` on a thread of its own: the browser tests' driver may hold an
    event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def test_waiting_calls_share_a_run_and_each_gets_its_own_result() -> None:
    runs: list[list[int]] = []
    threads: set[int] = set()

    def square(items: list[int]) -> list[int]:
        runs.append(items)
        threads.add(threading.get_ident())
        return [x * x for x in items]

    gathered = Gathered(square, max_batch=4)

    async def main() -> list[int]:
        return await asyncio.gather(*(gathered(x) for x in range(10)))

    assert run(main) == [x * x for x in range(10)]
    assert [len(r) for r in runs] == [4, 4, 2]  # in order, at most max_batch each
    assert sorted(x for r in runs for x in r) == list(range(10))
    assert (gathered.batches, gathered.calls) == (3, 10)
    assert threading.get_ident() not in threads  # run in a worker thread, off the loop


def test_a_failed_run_fails_its_batch_and_the_next_batch_goes_on() -> None:
    def picky(items: list[int]) -> list[int]:
        if 0 in items:
            raise RuntimeError("the store went away")
        return items

    gathered = Gathered(picky, max_batch=2)

    async def main() -> list[int | BaseException]:
        return await asyncio.gather(*(gathered(x) for x in (0, 1, 2, 3)), return_exceptions=True)

    got = run(main)
    assert [type(x) for x in got[:2]] == [RuntimeError, RuntimeError]
    assert got[2:] == [2, 3]


def test_a_lone_call_is_answered_without_waiting_for_company() -> None:
    def text(items: list[int]) -> list[str]:
        return [str(x) for x in items]

    gathered = Gathered(text)
    assert run(lambda: gathered(7)) == "7"
    assert gathered.batches == 1


def test_a_batch_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Gathered(lambda items: items, max_batch=0)


def test_each_key_is_asked_once_and_each_call_gets_its_own_answer() -> None:
    asked: list[list[str]] = []

    def find(keys: list[str]) -> dict[str, int]:
        asked.append(keys)
        return {k: len(k) for k in keys if k != "gone"}

    run = each_once(find)
    assert run(["ab", "c", "ab", "gone"]) == [2, 1, 2, None]
    assert asked == [["ab", "c", "gone"]]
