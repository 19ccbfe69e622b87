"""The encoding's fast paths: each the shortcut of one reference path, and proven equal to it.

Every fast path here accepts only what its reference accepts and gives the same result; where it
is not sure it declines (``Declined``) and the reference decides, so a fast path can only ever
send more work to the reference, never pass what the reference refuses. The one equivalence suite,
``tests/unit/test_encoding_equivalence.py``, has one row per fast path; adding one adds a row.

| fast path | reference |
|---|---|
| ``canonical._check_fast`` | ``canonical._check(value, depth, strings=False)`` |
| ``codec._FromPayloadPlan`` (in ``codec.from_payload``) | ``codec._decode_value`` per field |
| ``envelope._body_from_stored`` | ``canonical_bytes(unsigned.body())`` |
| ``Envelope.to_bytes`` / ``signed_bytes`` (spliced) | ``canonical_bytes`` of the whole document |
| ``fast.payload.instant`` | ``canonical.parse_instant`` |
| ``fast.envelope.decode_fields`` (``EventKind.values``) | ``envelope.decode`` + ``from_payload`` |
| ``fast.envelope.check_fields`` (``EventKind.check``) | the same, without the event |
| ``fast.envelope.signed_parts`` | ``Envelope.hash``, ``signing_message``, ``signature`` |
| ``fast.envelope.as_stored`` | ``decode(env.to_bytes())`` of a received envelope |
| ``fast.event.decode_event`` | ``fast.event.reference`` (``decode`` + ``from_payload``) |

The first four live beside their references (they are those modules' own inner loops); the rest
are here, used by the projections (``decode_event``), the parallel audit's workers
(``check_fields``, ``signed_parts``) and the bulk intake (``as_stored``).
"""
