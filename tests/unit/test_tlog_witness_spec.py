"""Our tlog-witness wire format against the C2SP specification's own examples
(https://c2sp.org/tlog-witness, "Example request body" and "Example response body").

The request body parses into the old size, four 32-byte proof hashes and the two-signature
checkpoint, and formatting those again gives the same bytes. The response lines, appended to a
checkpoint as the spec suggests, are three v1 cosignature lines (key ID, 8-byte time, Ed25519
signature); nobody named their keys, so the witness policy counts none of them and reports them.
"""

from __future__ import annotations

import pytest

from ledger.witness.cosigner import add_checkpoint_body, parse_add_checkpoint_body
from ledger.witness.errors import WitnessMalformed
from ledger.witness.policy import WitnessPolicy, tally_note
from signing import generate_private_key
from signing.cosignature import COSIGNATURE_SIZE, CosignatureSigner
from signing.note import KEY_HASH_SIZE, parse_note

SPEC_REQUEST = (
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n"
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5"
    "/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks"
    "+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
).encode()

SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
SPEC_RESPONSE = (
    "\u2014 witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTS"
    "vVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==\n"
    "\u2014 witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt6"
    "4vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==\n"
    "\u2014 witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrK"
    "bYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==\n"
)


def test_the_specs_request_body_parses_and_formats_back_to_its_bytes() -> None:
    old, proof, note = parse_add_checkpoint_body(SPEC_REQUEST)
    assert old == 20852014
    assert len(proof) == 4 and all(len(h) == 32 for h in proof)
    parsed = parse_note(note)
    assert parsed.text == SPEC_CHECKPOINT
    assert [s.name for s in parsed.signatures] == ["example.com/behind-the-sofa"] * 2
    assert add_checkpoint_body(old, proof, note) == SPEC_REQUEST


@pytest.mark.parametrize(
    "body",
    [
        SPEC_REQUEST.replace(b"old 20852014", b"old 020852014"),  # leading zero
        SPEC_REQUEST.replace(b"old 20852014", b"old  20852014"),
        SPEC_REQUEST.replace(b"PlRNCrwH", b"PlRNCrw "),  # not base64
        SPEC_REQUEST.replace(b"=\n\nexample", b"\nexample"),  # no empty line
        b"old 0\n" + b"PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n" * 64 + b"\n" + b"x",
    ],
)
def test_variations_the_spec_forbids_are_malformed(body: bytes) -> None:
    with pytest.raises(WitnessMalformed):
        parse_add_checkpoint_body(body)


def test_the_specs_response_lines_are_v1_cosignatures_counted_only_when_named() -> None:
    checkpoint = SPEC_CHECKPOINT
    note = parse_note(checkpoint + "\n" + SPEC_RESPONSE)
    assert [s.name for s in note.signatures] == ["witness.example/w1"] * 2 + ["witness.example/w2"]
    assert all(len(s.signature) == COSIGNATURE_SIZE for s in note.signatures)
    assert all(len(s.key_hash) == KEY_HASH_SIZE for s in note.signatures)
    assert "".join(s.line() for s in note.signatures) == SPEC_RESPONSE  # same bytes back

    nobody = tally_note(checkpoint + "\n" + SPEC_RESPONSE, WitnessPolicy().witnesses)
    assert nobody.count == 0 and len(nobody.unknown) == 3
    # a key of the same name but another key ID is another witness: not counted, not a finding
    key = generate_private_key(bytes([60]) * 32)
    impostor = CosignatureSigner("witness.example/w1", key).verifier()
    tally = tally_note(checkpoint + "\n" + SPEC_RESPONSE, (impostor,))
    assert (tally.count, tally.invalid, len(tally.unknown)) == (0, (), 3)
