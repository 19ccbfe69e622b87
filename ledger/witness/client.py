"""The log's side of asking a witness (bên chứng kiến) to cosign: the add-checkpoint request
built from the stored log, the witness's answer checked, its cosignature lines kept.

No HTTP here: ``request_cosignature`` takes the transport as a function (``Post``); the CLI and
the service give it one.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.log.storage import MerkleLog, StoredCheckpoint
from ledger.witness.cosigner import SIZE_CONTENT_TYPE, SIZE_LINE, add_checkpoint_body
from ledger.witness.errors import WitnessRequestError
from signing.cosignature import CosignatureVerifier
from signing.errors import NoteError
from signing.note import parse_note

Post = Callable[[bytes], tuple[int, str, bytes]]
"""Send an add-checkpoint body; return (HTTP status, content type, response body)."""


def last_cosigned_size(log: MerkleLog, witness_name: str) -> int:
    """The largest checkpoint size ``witness_name`` cosigned, as stored here (0 if none)."""
    return log.last_cosigned_size(witness_name)


def request_cosignature(
    log: MerkleLog,
    post: Post,
    witness_name: str,
    guess_old: int = 0,
    *,
    verifier: CosignatureVerifier | None = None,
) -> str:
    """Ask a witness to cosign the latest checkpoint, store its cosignature, return the line(s).

    On 409 the witness's size is read and the request sent once more from there; a second root
    for the size it cosigned is refused (422 since tlog-witness clarified it, 409 with that very
    size before). Lines by other keys are ignored; with ``verifier`` the witness's lines must
    also verify before being kept.
    """
    latest = log.latest_checkpoint()
    if latest is None:
        raise WitnessRequestError("the log has no checkpoint to be cosigned")
    if verifier is not None and verifier.name != witness_name:
        raise WitnessRequestError(f"the witness key is {verifier.name!r}, not {witness_name!r}")
    old = guess_old
    for attempt in (1, 2):
        status, content_type, answer = post(_request_body(log, latest, old))
        if status == 200:
            break
        if status == 422 and old == latest.size:  # tlog-witness: same size, another root
            raise WitnessRequestError(
                f"witness {witness_name} refuses: it cosigned another tree of size {old} "
                "(split view?)"
            )
        if status == 409:
            size = _conflict_size(content_type, answer)
            if size == old:
                raise WitnessRequestError(
                    f"witness {witness_name} refuses: it cosigned another tree of size {old} "
                    "(split view?)"
                )
            if attempt == 1:
                old = size
                continue
        raise WitnessRequestError(f"witness {witness_name} answered {status}: {_excerpt(answer)}")
    lines = _cosignature_lines(latest, answer, witness_name, verifier)
    for line in lines:
        log.add_cosignature(latest.size, witness_name, line)
    return "".join(lines)


def _request_body(log: MerkleLog, latest: StoredCheckpoint, old: int) -> bytes:
    if old < 0 or old > latest.size:
        raise WitnessRequestError(
            f"the witness has cosigned size {old}, beyond this log's latest checkpoint of size "
            f"{latest.size}: this log was rolled back"
        )
    proof = [] if old in (0, latest.size) else log.consistency_proof(old, latest.size)
    return add_checkpoint_body(old, proof, latest.note)


def _conflict_size(content_type: str, answer: bytes) -> int:
    media = content_type.split(";")[0].strip().lower()
    text = answer.decode("utf-8", errors="replace")
    if media != SIZE_CONTENT_TYPE or not text.endswith("\n") or not SIZE_LINE.fullmatch(text[:-1]):
        raise WitnessRequestError(
            f"the witness's 409 answer is not a tree size: {_excerpt(answer)}"
        )
    return int(text[:-1])


def _cosignature_lines(
    latest: StoredCheckpoint, answer: bytes, name: str, verifier: CosignatureVerifier | None
) -> list[str]:
    body = parse_note(latest.note).text
    try:
        text = answer.decode("utf-8")
        signatures = parse_note(body + "\n" + text).signatures if text else ()
    except NoteError as e:
        raise WitnessRequestError(f"the witness's answer is not signature lines: {e}") from e
    kept: list[str] = []
    for sig in signatures:
        if sig.name != name:
            continue  # tlog-witness: ignore cosignatures from unknown keys
        if verifier is not None:
            if sig.key_hash != verifier.key_hash:
                continue
            try:
                verifier.verify(body, sig)
            except NoteError as e:
                raise WitnessRequestError(f"witness {name}'s cosignature is invalid: {e}") from e
        kept.append(sig.line())
    if not kept:
        raise WitnessRequestError(f"the witness's answer holds no cosignature by {name}")
    return kept


def _excerpt(answer: bytes, limit: int = 200) -> str:
    text = " ".join(answer.decode("utf-8", errors="replace").split())
    return text[:limit] + ("..." if len(text) > limit else "")
