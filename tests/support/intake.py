"""The client's side of intake (ký phía máy trạm) for tests: collected domain events as
envelopes chained to a head hash, each signed by its actor's key, their free text sealed
under the file's applicant key as a client gets it sealed by the server (issue 16)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.chain.service import Ledger
from ledger.encoding import codec
from ledger.encoding.envelope import build
from signing import Signer


def sign(ledger: Ledger, code: str, events: Sequence[Any], who: Sequence[tuple[str, Signer]],
         prev: str) -> list[bytes]:  # fmt: skip
    """The client's side: each collected event as an envelope chained to ``prev``, signed."""
    out = []
    if events:
        first = events[0]
        ref = getattr(first, "applicant_ref", None) or ledger.load(code).file.applicant_ref
        events = ledger.sealer.seal(events, ref)
    for event, (actor, key) in zip(events, who, strict=True):
        type_, payload = codec.to_payload(event)
        env = build(
            origin=ledger.origin,
            stream=code,
            version=event.originator_version,
            type_=type_,
            occurred_at=event.timestamp,
            actor=actor,
            key_id=key.key_id,
            payload=payload,
            prev_hash=prev,
        ).sign(key)
        prev = env.hash()
        out.append(env.to_bytes())
    return out
