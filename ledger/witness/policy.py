"""The witness policy (chính sách bên chứng kiến): which of the named witnesses validly cosigned a
checkpoint, and whether that is enough. Pure: no I/O, no clock.

A cosignature counts only if its line names one of the witness keys given here (name and key ID,
C2SP signed-note) and verifies as a C2SP tlog-cosignature/v1 over the checkpoint's body. One
witness counts once however many lines it has. A line by a named witness that does not verify is
a finding, never a count; lines by keys nobody named are reported, never counted. The verifier
keys come from whoever checks (an inspector's ``--witness``, a log's configuration), never from
the checkpoint itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.witness.errors import WitnessPolicyError
from signing.cosignature import CosignatureVerifier
from signing.errors import NoteError
from signing.note import NoteSignature, parse_note


@dataclass(frozen=True)
class Cosigned:
    """A named witness's valid cosignature: its vkey and the cosignature's time."""

    name: str
    vkey: str
    timestamp: int


@dataclass(frozen=True)
class WitnessTally:
    """What the signature lines of one checkpoint say about the named witnesses."""

    valid: tuple[Cosigned, ...] = ()
    invalid: tuple[str, ...] = ()  # findings: lines by a named witness that do not verify
    unknown: tuple[str, ...] = ()  # names on lines by keys nobody named (not counted)

    @property
    def count(self) -> int:
        return len(self.valid)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.valid)


@dataclass(frozen=True)
class WitnessPolicy:
    """``minimum`` of ``witnesses`` must have validly cosigned a checkpoint."""

    witnesses: tuple[CosignatureVerifier, ...] = ()
    minimum: int = 0

    def __post_init__(self) -> None:
        if self.minimum < 0:
            raise WitnessPolicyError("the minimum number of witnesses cannot be negative")
        if self.minimum > len(self.witnesses):
            raise WitnessPolicyError(
                f"{self.minimum} witness cosignatures required, but only "
                f"{len(self.witnesses)} witness keys given"
            )
        idents = [(w.name, w.key_hash) for w in self.witnesses]
        if len(set(idents)) != len(idents):
            raise WitnessPolicyError("a witness key is given twice")

    def tally(self, checkpoint_body: str, signatures: Iterable[NoteSignature]) -> WitnessTally:
        return tally_cosignatures(checkpoint_body, signatures, self.witnesses)

    def shortfall(self, tally: WitnessTally) -> str | None:
        """None if the tally meets the policy; else one sentence saying what is missing."""
        if tally.count >= self.minimum:
            return None
        named = ", ".join(w.name for w in self.witnesses)
        got = ", ".join(tally.names) or "none of them"
        return (
            f"{self.minimum} cosignatures by the named witnesses ({named}) are required, "
            f"{tally.count} found ({got})"
        )


def witness_verifiers(vkeys: Sequence[str]) -> tuple[CosignatureVerifier, ...]:
    """Parse cosignature verifier keys (``name+hex(key ID)+base64(0x04 || key)``)."""
    verifiers = []
    for vkey in vkeys:
        try:
            verifiers.append(CosignatureVerifier.from_vkey(vkey))
        except NoteError as e:
            raise WitnessPolicyError(f"witness key {vkey!r} is not a cosignature key: {e}") from e
    return tuple(verifiers)


def policy_from_keys(vkeys: Sequence[str], minimum: int | None = None) -> WitnessPolicy:
    """The policy of these witness keys; ``minimum`` None: 1 if any key is given, else 0."""
    verifiers = witness_verifiers(vkeys)
    wanted = (1 if verifiers else 0) if minimum is None else minimum
    return WitnessPolicy(verifiers, wanted)


def tally_cosignatures(
    checkpoint_body: str,
    signatures: Iterable[NoteSignature],
    witnesses: Sequence[CosignatureVerifier],
) -> WitnessTally:
    """Sort a checkpoint's signature lines (the log's own among them) by the named witnesses.

    Lines whose key ID matches no named witness (the log's signature, other witnesses) are
    ``unknown``; the caller leaves out the names it knows (the log's origin).
    """
    known = {(w.name, w.key_hash): w for w in witnesses}
    valid: dict[tuple[str, bytes], Cosigned] = {}
    invalid: list[str] = []
    unknown: list[str] = []
    for sig in signatures:
        ident = (sig.name, sig.key_hash)
        witness = known.get(ident)
        if witness is None:
            unknown.append(sig.name)
            continue
        try:
            timestamp = witness.verify(checkpoint_body, sig)
        except NoteError as e:
            invalid.append(f"the cosignature line of witness {sig.name} does not verify: {e}")
            continue
        valid.setdefault(ident, Cosigned(witness.name, witness.vkey(), timestamp))
    return WitnessTally(tuple(valid.values()), tuple(invalid), tuple(unknown))


def tally_note(note: str, witnesses: Sequence[CosignatureVerifier]) -> WitnessTally:
    """``tally_cosignatures`` of a whole signed note (its text is the checkpoint body)."""
    parsed = parse_note(note)
    return tally_cosignatures(parsed.text, parsed.signatures, witnesses)


def judge(
    policy: WitnessPolicy, checkpoint_body: str, signatures: Iterable[NoteSignature]
) -> tuple[WitnessTally, list[str]]:
    """The tally and the failures under ``policy``: each invalid line, then any shortfall."""
    tally = policy.tally(checkpoint_body, signatures)
    failures = list(tally.invalid)
    short = policy.shortfall(tally)
    if short is not None:
        failures.append(short)
    return tally, failures
