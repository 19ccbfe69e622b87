"""Checkpoints (ledger/checkpoint.py) and witness cosignatures (signing/cosignature.py)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ledger.errors import CheckpointError
from ledger.log.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint, sign_checkpoint
from ledger.log.merkle import ListReader
from signing import VerificationError, generate_private_key
from signing.cosignature import (
    COSIGNATURE_SIZE,
    CosignatureSigner,
    CosignatureVerifier,
    cosigned_message,
)
from signing.errors import NoteError
from signing.note import NoteSignature, NoteSigner, NoteVerifier, format_note, open_note, parse_note
from tests.support import vectors

ORIGIN = "test.hoso.vn/ledger"
LOG = NoteSigner(ORIGIN, generate_private_key(bytes(range(32))))
WITNESS = CosignatureSigner("witness.test/w1", generate_private_key(bytes(range(2, 34))))
WITNESS2 = CosignatureSigner("witness.test/w2", generate_private_key(bytes(range(3, 35))))
TREE = ListReader.from_entries(f"event {i}".encode() for i in range(5))
CP = Checkpoint(ORIGIN, 5, TREE.root())
T = 1_772_411_400


# --- checkpoint bodies ------------------------------------------------------------------------


def test_body_format() -> None:
    root_b64 = base64.b64encode(TREE.root()).decode()
    assert CP.body() == f"{ORIGIN}\n5\n{root_b64}\n"
    with_ext = Checkpoint(ORIGIN, 5, TREE.root(), ("head abc", "x"))
    assert with_ext.body() == f"{ORIGIN}\n5\n{root_b64}\nhead abc\nx\n"
    assert parse_checkpoint(with_ext.body()) == with_ext
    assert parse_checkpoint(CP.body()) == CP


def test_sumdb_checkpoint_vector() -> None:
    sumdb = next(c for c in vectors.signed_notes() if "real sum.golang.org" in c["desc"])
    cp, note = open_checkpoint(
        sumdb["note"], NoteVerifier.from_vkey(sumdb["vkey"]), origin="go.sum database tree"
    )
    assert cp.size == 52544510
    assert cp.body() == note.text
    with pytest.raises(CheckpointError):
        open_checkpoint(sumdb["note"], NoteVerifier.from_vkey(sumdb["vkey"]), origin=ORIGIN)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "origin\n5\n",
        "\n5\n" + "A" * 43 + "=\n",  # empty origin
        "origin\n05\n" + "A" * 43 + "=\n",  # leading zero
        "origin\n+5\n" + "A" * 43 + "=\n",
        "origin\n 5\n" + "A" * 43 + "=\n",
        "origin\n5 \n" + "A" * 43 + "=\n",
        "origin\n1_000\n" + "A" * 43 + "=\n",
        "origin\n\u0665\n" + "A" * 43 + "=\n",  # Arabic-Indic digit five
        "origin\n-1\n" + "A" * 43 + "=\n",
        "origin\n9223372036854775808\n" + "A" * 43 + "=\n",  # 2**63
        "origin\n5\n" + "A" * 42 + "==\n",  # 31 bytes
        "origin\n5\n" + "A" * 44 + "\n",  # 33 bytes
        "origin\n5\n" + "A" * 43 + "\n",  # missing padding
        "origin\n5\n" + "A" * 42 + "B=\n",  # non-canonical trailing bits
        "origin\n5\n" + "A" * 43 + "=",  # no final newline
        "origin\n5\n" + "A" * 43 + "=\n\n",  # empty extension line
        "origin\n5\n" + "A" * 43 + "=\next\n\n",
    ],
)
def test_malformed_bodies(body: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(body)


def test_zero_size_and_largest_size() -> None:
    empty = "origin\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert parse_checkpoint(empty).size == 0
    largest = f"origin\n{2**63 - 1}\n" + "A" * 43 + "=\n"
    assert parse_checkpoint(largest).size == 2**63 - 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": ""},
        {"origin": "two\nlines"},
        {"size": -1},
        {"size": True},
        {"root": b"\x00" * 31},
        {"extensions": ("",)},
        {"extensions": ("a\nb",)},
        {"extensions": ["list"]},
        {"origin": "tab\there"},
    ],
)
def test_invalid_checkpoints_cannot_be_built(kwargs: dict[str, Any]) -> None:
    fields: dict[str, Any] = {"origin": ORIGIN, "size": 5, "root": TREE.root(), **kwargs}
    with pytest.raises(CheckpointError):
        Checkpoint(**fields)


# --- signed checkpoints -----------------------------------------------------------------------


def test_sign_and_open() -> None:
    note = sign_checkpoint(CP, LOG)
    assert note.startswith(CP.body() + "\n\u2014 " + ORIGIN + " ")
    cp, opened = open_checkpoint(note, NoteVerifier.from_vkey(LOG.vkey()), origin=ORIGIN)
    assert cp == CP
    assert opened.text == CP.body()
    assert opened.unverified == ()


def test_open_refuses_wrong_origin_key_and_tampering() -> None:
    note = sign_checkpoint(CP, LOG)
    verifier = LOG.verifier()
    with pytest.raises(CheckpointError):
        open_checkpoint(note, verifier, origin="other.log")
    impostor = NoteSigner(ORIGIN, generate_private_key(bytes(32)))
    with pytest.raises(NoteError):
        open_checkpoint(note, impostor.verifier())
    grown = note.replace("\n5\n", "\n6\n", 1)
    with pytest.raises(NoteError):
        open_checkpoint(grown, verifier)
    forged = sign_checkpoint(Checkpoint(ORIGIN, 6, TREE.root()), impostor)
    with pytest.raises(VerificationError):
        open_checkpoint(forged, verifier)


def test_signed_note_with_malformed_body_is_refused() -> None:
    note = format_note("not\na checkpoint\n", [LOG.sign("not\na checkpoint\n")])
    with pytest.raises(CheckpointError):
        open_checkpoint(note, LOG.verifier())


# --- cosignatures -----------------------------------------------------------------------------


def test_cosigned_message_format() -> None:
    assert cosigned_message(CP.body(), T) == f"cosignature/v1\ntime {T}\n{CP.body()}".encode()
    assert cosigned_message(CP.body(), 0).startswith(b"cosignature/v1\ntime 0\n")


def test_cosignature_round_trip() -> None:
    sig = WITNESS.cosign(CP.body(), T)
    assert len(sig.signature) == COSIGNATURE_SIZE == 72
    assert sig.signature[:8] == T.to_bytes(8, "big")
    verifier = CosignatureVerifier.from_vkey(WITNESS.vkey())
    assert verifier.public_key == WITNESS.public_key
    assert verifier.verify(CP.body(), sig) == T


def test_cosignature_vkey_and_key_id() -> None:
    name, hash_hex, key_b64 = WITNESS.vkey().split("+", 2)
    assert name == WITNESS.name
    assert base64.b64decode(key_b64) == b"\x04" + WITNESS.public_key
    assert bytes.fromhex(hash_hex) == WITNESS.key_hash
    # The same key as a plain Ed25519 note key has a different key ID and vkey.
    plain = NoteSigner(WITNESS.name, generate_private_key(bytes(range(2, 34))))
    assert plain.public_key == WITNESS.public_key
    assert plain.key_hash != WITNESS.key_hash
    with pytest.raises(NoteError):
        NoteVerifier.from_vkey(WITNESS.vkey())
    with pytest.raises(NoteError):
        CosignatureVerifier.from_vkey(plain.vkey())


def test_cosigned_checkpoint_note() -> None:
    body = CP.body()
    note = format_note(
        body, [LOG.sign(body), WITNESS.cosign(body, T), WITNESS2.cosign(body, T + 1)]
    )
    cp, opened = open_checkpoint(note, LOG.verifier(), origin=ORIGIN)
    assert cp == CP
    assert [s.name for s in opened.unverified] == [WITNESS.name, WITNESS2.name]
    # Witnesses are checked with their own verifiers over the same note.
    witnessed = open_note(note, [WITNESS.verifier(), WITNESS2.verifier()])
    assert [s.name for s in witnessed.signatures] == [WITNESS.name, WITNESS2.name]
    stamps = [
        v.verify(body, s)
        for v, s in zip(
            [WITNESS.verifier(), WITNESS2.verifier()], witnessed.signatures, strict=True
        )
    ]
    assert stamps == [T, T + 1]


def test_cosignature_tampering_fails() -> None:
    body = CP.body()
    sig = WITNESS.cosign(body, T)
    verifier = WITNESS.verifier()
    with pytest.raises(NoteError):
        verifier.verify(body.replace("\n5\n", "\n6\n"), sig)
    for i in range(len(sig.signature)):
        mutated = bytearray(sig.signature)
        mutated[i] ^= 0x01
        with pytest.raises(NoteError):
            verifier.verify(body, NoteSignature(sig.name, sig.key_hash, bytes(mutated)))
    with pytest.raises(NoteError):
        verifier.verify(body, NoteSignature(sig.name, sig.key_hash, sig.signature[:-1]))
    with pytest.raises(NoteError):
        WITNESS2.verifier().verify(body, sig)
    # A log signature is not a cosignature, even by the same key.
    same_key = NoteSigner(WITNESS.name, generate_private_key(bytes(range(2, 34))))
    forged = NoteSignature(WITNESS.name, WITNESS.key_hash, same_key.sign(body).signature)
    with pytest.raises(NoteError):
        verifier.verify(body, forged)


def test_cosignature_in_note_must_verify() -> None:
    body = CP.body()
    good = WITNESS.cosign(body, T)
    bad = NoteSignature(good.name, good.key_hash, (T + 1).to_bytes(8, "big") + good.signature[8:])
    note = format_note(body, [LOG.sign(body), bad])
    with pytest.raises(NoteError):
        open_note(note, [WITNESS.verifier()])
    # Unknown to the log verifier: ignored there.
    assert open_checkpoint(note, LOG.verifier())[0] == CP


@pytest.mark.parametrize("timestamp", [-1, 2**63, True, 1.5])
def test_cosignature_timestamp_range(timestamp: Any) -> None:
    with pytest.raises(NoteError):
        WITNESS.cosign(CP.body(), timestamp)


def test_cosignature_timestamp_over_limit_is_refused() -> None:
    body = CP.body()
    sig = WITNESS.cosign(body, T)
    huge = NoteSignature(sig.name, sig.key_hash, (2**63).to_bytes(8, "big") + sig.signature[8:])
    with pytest.raises(NoteError):
        WITNESS.verifier().verify(body, huge)


def test_parse_note_keeps_cosignatures_raw() -> None:
    body = CP.body()
    sig = WITNESS.cosign(body, T)
    parsed = parse_note(format_note(body, [LOG.sign(body), sig]))
    assert parsed.signatures[1] == sig
