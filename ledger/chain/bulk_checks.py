"""The per-envelope halves of the bulk intake (``ledger.chain.bulk_intake``): a chain check of a
just-decoded envelope that does not decode it again (``fast.envelope.as_stored``), and the
signature checks a verifying thread runs (``cryptography`` releases the GIL while it verifies)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.domain import CanInitAggregate
from eventsourcing.persistence import StoredEvent

from ledger.chain.verify import ChainVerifier, Checked, SignatureCheck, check_file_permission
from ledger.encoding import codec
from ledger.encoding.envelope import Envelope
from ledger.encoding.fast.envelope import as_stored
from ledger.errors import LedgerError, TamperError
from signing.errors import VerificationError
from signing.registry import REGISTRY_STREAM

_KEYS: dict[bytes, Ed25519PublicKey] = {}


def applicant_named(rows: Sequence[StoredEvent], envelopes: Sequence[Envelope]) -> str | None:
    """The applicant a file's receipt names (its first stored row, else the first envelope
    submitted), or None: a guess that lets a batch read its keys in one query. The checks ask
    for the applicant of the file as replayed, and a key not guessed is read then."""
    try:
        payload = orjson.loads(rows[0].state)["payload"] if rows else envelopes[0].payload
        ref = payload.get("applicant_ref")
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, IndexError):
        return None
    return ref if isinstance(ref, str) else None


def bad_signatures(checks: Sequence[SignatureCheck], offset: int) -> list[int]:
    """In a verifying thread: the (offset) indices of the checks that do not verify."""
    bad = []
    for index, (public_key, message, signature) in enumerate(checks):
        try:
            key = _KEYS.get(public_key)
            if key is None:
                key = _KEYS[public_key] = Ed25519PublicKey.from_public_bytes(public_key)
            key.verify(signature, message)
        except Exception:  # fail closed; the reason is named again in the caller's thread
            bad.append(offset + index)
    return bad


class FreshVerifier(ChainVerifier):
    """``ChainVerifier.check(..., verify=False)`` for a just-decoded envelope, without decoding
    the row it becomes (``as_stored``): the same checks in the same order, with the same errors
    (the row's columns are the envelope's own, so they agree with it)."""

    def check_fresh(self, env: Envelope) -> tuple[Checked, bytes]:
        """Check ``env`` (with its receipt time) as the stored row it becomes; that row's bytes."""
        if env.stream == REGISTRY_STREAM:  # not a file: the general path (which refuses it)
            data = env.to_bytes()
            row = StoredEvent(env.stream, env.version, env.type, data)
            return self.check(row, verify=False), data
        try:
            return self._check_fresh(env)
        except TamperError:
            raise
        except (LedgerError, VerificationError) as e:
            raise TamperError(env.stream, env.version, str(e)) from e

    def _check_fresh(self, env: Envelope) -> tuple[Checked, bytes]:
        env, data = as_stored(env)  # the row read back: this envelope, if it came from decode
        stream, version, unsigned = env.stream, env.version, env.unsigned

        def fail(reason: str) -> TamperError:
            return TamperError(stream, version, reason)

        assert env.recorded_at is not None
        sent = env.signed_bytes()  # spliced from the stored bytes' cut, as to_bytes() was
        if unsigned.origin != self.origin:
            raise fail(f"envelope belongs to ledger {unsigned.origin!r}, not {self.origin!r}")
        last_version, last_hash = self.head(stream)
        if version != last_version + 1:
            raise fail(f"version {version} follows version {last_version}: events are missing")
        if unsigned.prev_hash != last_hash:
            raise fail("prev_hash does not match the previous event: the chain is broken")
        at = env.occurred_at
        event = codec.from_payload(
            env.type, unsigned.payload, stream=stream, version=version, occurred_at=at,
            actor=unsigned.actor,
        )  # fmt: skip
        if (version == 1) != isinstance(event, CanInitAggregate):
            raise fail(f"{env.type} cannot be event number {version} of a stream")
        if self.registry is None:
            raise fail("file event before the key registry was established")
        judged = self.judged_at(env)  # the server's receipt time: keys and roles are judged there
        record = self.registry.key_for(unsigned.actor, unsigned.key_id, judged)
        refusal = check_file_permission(self.registry, env, event, judged)
        if refusal:  # the signature is checked before the role: name the same reason
            env.verify(record.public_key)
            raise fail(refusal)
        self.heads[stream] = (version, hashlib.sha256(sent).hexdigest())
        message = unsigned.signing_message()
        return Checked(env, event, (record.public_key, message, env.signature)), data
