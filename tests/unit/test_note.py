"""C2SP signed notes (signing/note.py): the shared vectors, round trips, tampering, strictness."""

from __future__ import annotations

import base64

import pytest

from signing import VerificationError, generate_private_key
from signing.errors import NoteError
from signing.note import (
    MAX_SIGNATURES,
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    format_note,
    note_key_id,
    open_note,
    parse_note,
)
from tests.support import vectors

# The C2SP signed-note spec's example key, the first case of the shared vectors (checked below).
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"

SIGNER = NoteSigner("hoso.test/log", generate_private_key(bytes(range(32))))
OTHER = NoteSigner("hoso.test/other", generate_private_key(bytes(range(1, 33))))
TEXT = "Hồ sơ PTEST-260302-0001\nreceived\n"


def signed(text: str = TEXT, *signers: NoteSigner) -> str:
    return format_note(text, [s.sign(text) for s in signers or (SIGNER,)])


# --- vectors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("index", vectors.signed_note_indexes())
def test_signed_note_vectors(index: int) -> None:
    case = vectors.signed_notes()[index]
    verifier = NoteVerifier.from_vkey(case["vkey"])
    assert verifier.vkey() == case["vkey"]
    if case["want_verified"]:
        note = open_note(case["note"], [verifier])
        assert note.signatures[0].name == verifier.name
        assert format_note(note.text, note.signatures) == case["note"]
    else:
        with pytest.raises(NoteError):
            open_note(case["note"], [verifier])


def test_vectors_include_failures() -> None:
    cases = vectors.signed_notes()
    assert sum(not c["want_verified"] for c in cases) >= 2
    assert sum(c["want_verified"] for c in cases) >= 3


def test_spec_key_id_example() -> None:
    vkey = vectors.signed_notes()[0]["vkey"]
    assert vkey == SPEC_VKEY
    name, hash_hex, key_b64 = vkey.split("+", 2)
    key = base64.b64decode(key_b64)
    assert note_key_id(name, key[0], key[1:]).hex() == hash_hex


# --- round trip -------------------------------------------------------------------------------


def test_round_trip() -> None:
    sig = SIGNER.sign(TEXT)
    assert sig.name == SIGNER.name and sig.key_hash == SIGNER.key_hash
    assert len(sig.signature) == 64
    data = format_note(TEXT, [sig])
    assert (
        data
        == TEXT
        + "\n"
        + "\u2014 hoso.test/log "
        + base64.b64encode(SIGNER.key_hash + sig.signature).decode()
        + "\n"
    )
    assert parse_note(data) == Note(TEXT, (sig,))
    assert parse_note(data.encode()) == Note(TEXT, (sig,))
    verifier = NoteVerifier.from_vkey(SIGNER.vkey())
    assert verifier.public_key == SIGNER.public_key
    assert open_note(data, [verifier]) == Note(TEXT, (sig,))


def test_vkey_format() -> None:
    name, hash_hex, key_b64 = SIGNER.vkey().split("+", 2)
    assert name == "hoso.test/log"
    assert bytes.fromhex(hash_hex) == SIGNER.key_hash
    assert base64.b64decode(key_b64) == b"\x01" + SIGNER.public_key


def test_text_with_blank_lines_round_trips() -> None:
    text = "first\n\nthird after a blank line\n\n"
    note = open_note(signed(text), [SIGNER.verifier()])
    assert note.text == text


def test_several_signers_and_unknown_ones() -> None:
    data = signed(TEXT, OTHER, SIGNER)
    note = open_note(data, [SIGNER.verifier()])
    assert [s.name for s in note.signatures] == [SIGNER.name]
    assert [s.name for s in note.unverified] == [OTHER.name]
    both = open_note(data, [SIGNER.verifier(), OTHER.verifier()])
    assert len(both.signatures) == 2 and not both.unverified


# --- tampering --------------------------------------------------------------------------------


def test_tampering_any_text_character_fails() -> None:
    data = signed()
    verifier = SIGNER.verifier()
    text_len = len(TEXT)
    for i in range(text_len):
        ch = data[i]
        replacement = "X" if ch != "X" else "Y"
        if ch == "\n":
            replacement = "\n\n"
        tampered = data[:i] + replacement + data[i + 1 :]
        with pytest.raises(NoteError):
            open_note(tampered, [verifier])


def test_tampering_any_signature_byte_fails() -> None:
    sig = SIGNER.sign(TEXT)
    verifier = SIGNER.verifier()
    raw = sig.key_hash + sig.signature
    for i in range(len(raw)):
        for bit in (0x01, 0x80):
            mutated = bytearray(raw)
            mutated[i] ^= bit
            line = "\u2014 hoso.test/log " + base64.b64encode(bytes(mutated)).decode() + "\n"
            with pytest.raises(NoteError):
                open_note(TEXT + "\n" + line, [verifier])


def test_tampering_any_signature_line_character_fails() -> None:
    data = signed()
    verifier = SIGNER.verifier()
    start = len(TEXT) + 1
    for i in range(start, len(data) - 1):
        ch = data[i]
        for replacement in sorted({"A" if ch != "A" else "B", "", " "} - {ch}):
            tampered = data[:i] + replacement + data[i + 1 :]
            with pytest.raises(NoteError):
                open_note(tampered, [verifier])


def test_wrong_vkey_fails() -> None:
    data = signed()
    impostor = NoteSigner(SIGNER.name, generate_private_key(bytes(32)))
    with pytest.raises(NoteError):
        open_note(data, [impostor.verifier()])
    with pytest.raises(NoteError):
        open_note(data, [OTHER.verifier()])
    with pytest.raises(NoteError):
        open_note(data, [])


def test_known_key_with_bad_signature_rejects_the_note() -> None:
    good = SIGNER.sign(TEXT)
    bad = NoteSignature(SIGNER.name, SIGNER.key_hash, OTHER.sign(TEXT).signature)
    with pytest.raises(NoteError):
        open_note(format_note(TEXT, [good, bad]), [SIGNER.verifier()])
    with pytest.raises(NoteError):
        open_note(format_note(TEXT, [bad, good]), [SIGNER.verifier()])


def test_duplicate_signatures_are_counted_once() -> None:
    sig = SIGNER.sign(TEXT)
    note = open_note(format_note(TEXT, [sig, sig]), [SIGNER.verifier()])
    assert note.signatures == (sig,)


def test_verifier_refuses_other_keys_signature() -> None:
    with pytest.raises(NoteError):
        SIGNER.verifier().verify(TEXT, OTHER.sign(TEXT))
    assert issubclass(NoteError, VerificationError)


# --- strict parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "",
        "no signatures\n",
        "text\n\n",
        "text\n\n\u2014 hoso.test/log AAAA\n",  # too short
        "text\n\n- hoso.test/log " + "A" * 92 + "\n",  # hyphen, not em dash
        "text\n\n\u2014 hoso.test/log " + "A" * 92,  # no final newline
        "text\n\n\u2014 hoso.test/log\n",
        "text\n\n\u2014  " + "A" * 92 + "\n",  # empty name
        "text\n\n\u2014 a+b " + "A" * 92 + "\n",
        "text\n\n\u2014 hoso.test/log " + "A" * 91 + "\n",  # bad base64
        "text\n\n\u2014 hoso.test/log " + "A" * 92 + " \n",
        "text\r\n\n\u2014 hoso.test/log " + "A" * 92 + "\n",
        "te\x00xt\n\n\u2014 hoso.test/log " + "A" * 92 + "\n",
        "text\n\n\u2014 hoso.test/log " + "A" * 92 + "\n\n",
        "text\ud800\n\n\u2014 hoso.test/log " + "A" * 92 + "\n",
        "text\n\n\u2014 hoso.test/log " + "A" * 92 + "\n\u2014 x\n",
    ],
)
def test_malformed_notes(data: str) -> None:
    with pytest.raises(NoteError):
        parse_note(data)
    with pytest.raises(NoteError):
        open_note(data, [SIGNER.verifier()])


def test_invalid_utf8_bytes() -> None:
    with pytest.raises(NoteError):
        parse_note(signed().encode() + b"\xff")


def test_signature_limit() -> None:
    sig = SIGNER.sign(TEXT)
    at_limit = TEXT + "\n" + sig.line() * MAX_SIGNATURES
    assert len(parse_note(at_limit).signatures) == MAX_SIGNATURES
    with pytest.raises(NoteError):
        parse_note(at_limit + sig.line())
    with pytest.raises(NoteError):
        format_note(TEXT, [sig] * (MAX_SIGNATURES + 1))


@pytest.mark.parametrize(
    "name", ["", "a+b", "a b", "a\tb", "a\u00a0b", "a\u3000b", "a\u2028b", "a\x00b"]
)
def test_bad_key_names(name: str) -> None:
    key = generate_private_key(bytes(32))
    with pytest.raises(NoteError):
        NoteSigner(name, key)
    with pytest.raises(NoteError):
        NoteVerifier(name, b"\x00" * 32)


def test_text_must_end_in_newline() -> None:
    with pytest.raises(NoteError):
        SIGNER.sign("no newline")
    with pytest.raises(NoteError):
        format_note("no newline", [SIGNER.sign(TEXT)])
    with pytest.raises(NoteError):
        format_note(TEXT, [])
    with pytest.raises(NoteError):
        SIGNER.sign("control \x1b character\n")


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "nohash",
        "name+zzzzzzzz+AQ==",
        "name+1234567+AQ==",
        SPEC_VKEY.replace("+530d903a+", "+530d903b+"),  # key hash mismatch
        SPEC_VKEY.replace("example.com/foo", "example.com/bar"),
        SPEC_VKEY.replace("+AekyeR", "+BekyeR"),  # wrong key type / key
        SPEC_VKEY[:-4],  # truncated key
        SPEC_VKEY + "AAAA",  # long key
        "a b+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    ],
)
def test_malformed_vkeys(vkey: str) -> None:
    with pytest.raises(NoteError):
        NoteVerifier.from_vkey(vkey)


def test_vkey_of_other_key_type_is_refused() -> None:
    public = SIGNER.public_key
    key_hash = note_key_id(SIGNER.name, 0x04, public)
    material = base64.b64encode(b"\x04" + public).decode()
    vkey = f"{SIGNER.name}+{key_hash.hex()}+{material}"
    with pytest.raises(NoteError):
        NoteVerifier.from_vkey(vkey)


def test_duplicate_verifiers_are_a_configuration_error() -> None:
    with pytest.raises(NoteError):
        open_note(signed(), [SIGNER.verifier(), SIGNER.verifier()])


def test_note_signature_validation() -> None:
    with pytest.raises(NoteError):
        NoteSignature("name", b"\x00" * 3, b"sig")
    with pytest.raises(NoteError):
        NoteSignature("name", b"\x00" * 4, b"")
    with pytest.raises(NoteError):
        NoteSignature("na me", b"\x00" * 4, b"sig")
