"""The event feed over HTTP, for the provincial system: the Merkle log's leaves in order after
an opaque cursor, each with its file, actor, unit, the file's national portal status after the
event and the exact leaf bytes. Like the log's entries, it needs an inspector's or an
integration client's token (issue 16); integration clients see their units' file events only.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated

from fastapi import Depends, Query, Request

from api.bootstrap import open_log
from api.http.auth import require
from api.http.middleware import problem_responses
from api.http.replay import replay
from api.http.routes.common import AUTH, invalid, reads_router
from api.http.schemas.reads import CURSOR_PATTERN, FeedItem, FeedPage
from api.http.state import ledger_of
from api.tokens import ApiRole, Principal
from domain.codes import parse_file_code
from domain.errors import DomainError
from ledger.chain.service import Ledger
from ledger.encoding.envelope import Envelope, decode
from signing.registry import REGISTRY_STREAM

_CURSOR_TEXT = re.compile(r"^leaf:(0|[1-9][0-9]{0,17})$")

router = reads_router()


def encode_cursor(leaf_index: int) -> str:
    return base64.urlsafe_b64encode(f"leaf:{leaf_index}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The leaf index a cursor names; anything but a cursor this service issued is a 422."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as e:
        raise invalid("query.after", "not a feed cursor") from e
    m = _CURSOR_TEXT.match(text)
    if m is None or encode_cursor(int(m.group(1))) != cursor:
        raise invalid("query.after", "not a feed cursor")
    return int(m.group(1))


def _unit_of(env: Envelope) -> str | None:
    if env.stream == REGISTRY_STREAM:
        unit = env.payload.get("unit")
        return unit if isinstance(unit, str) else None
    try:
        return parse_file_code(env.stream).unit
    except DomainError:
        return None


def _portal_after(ledger: Ledger, wanted: dict[str, set[int]]) -> dict[tuple[str, int], int]:
    """The portal status after each wanted (file, version), by replaying the file's events."""
    out: dict[tuple[str, int], int] = {}
    for code, versions in wanted.items():
        top = max(versions)
        envelopes = [decode(s.state) for s in ledger.store.stream(code)[:top]]
        for env, snap in zip(envelopes, replay(envelopes), strict=True):
            if env.version in versions:
                out[(code, env.version)] = int(snap.status)
    return out


@router.get(
    "/feed",
    summary="The event feed, in log order",
    description="Leaves of the Merkle log after the cursor `after` (absent: from the first), "
    "each with its file, type, times, actor, unit, the file's national portal status after "
    "that event, and the exact leaf bytes (base64; verify them against the tiles). Follow "
    "`next` until `more` is false, then poll with the last `next`.\n\n"
    "Needs an inspector's or an integration client's token (the log's entries are not public). "
    "Integration clients see only their units' file events; "
    "the cursor still moves over the global log, so a page may hold fewer than `limit` items "
    "(even none) while `more` is true. Inspectors see every leaf, the key registry's included.",
    responses=problem_responses(*AUTH),
)
def read_feed(
    request: Request,
    who: Annotated[Principal, Depends(require(ApiRole.INSPECTOR, ApiRole.INTEGRATION))],
    after: Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, examples=[encode_cursor(41)])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FeedPage:
    start = -1 if after is None else decode_cursor(after)
    ledger = ledger_of(request)
    rows = open_log(ledger).feed(start, limit)
    picked: list[tuple[int, bytes, Envelope, str | None]] = []
    for index, entry in rows:
        env = decode(entry)
        unit = _unit_of(env)
        if who.reads_everything() or (
            env.stream != REGISTRY_STREAM and unit is not None and who.acts_for(unit)
        ):
            picked.append((index, entry, env, unit))
    wanted: dict[str, set[int]] = {}
    for _i, _e, env, _u in picked:
        if env.stream != REGISTRY_STREAM:
            wanted.setdefault(env.stream, set()).add(env.version)
    statuses = _portal_after(ledger, wanted)
    items = [
        FeedItem(
            leaf_index=index,
            code=env.stream,
            version=env.version,
            type=env.type,
            occurred_at=env.unsigned.occurred_at,
            recorded_at=env.recorded_at,
            actor=env.actor,
            unit=unit,
            portal_status_after=statuses.get((env.stream, env.version)),
            entry=base64.b64encode(entry).decode("ascii"),
        )
        for index, entry, env, unit in picked
    ]
    last = rows[-1][0] if rows else start
    return FeedPage(
        items=items,
        next=encode_cursor(last) if last >= 0 else None,
        more=len(rows) == limit,
    )
