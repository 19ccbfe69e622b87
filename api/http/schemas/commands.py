"""Request and response bodies of the command API (``api.http.routes.commands``): the shapes every
body shares (codes, actors, key ids, hashes, instants, bounded texts), their examples and the
strict configuration.

Every body is strict (unknown fields are refused, text lengths and code shapes are checked here,
the business rules in ``domain``) and carries an OpenAPI example for provincial integrators. The
bodies themselves, by family: the lifecycle actions (``models_actions``), receipts
(``models_receipts``), and envelopes with their results (``models_envelopes``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from domain.codes import MAX_FILE_CODE_LENGTH, UNIT

FILE_CODE = rf"^{UNIT}-[0-9]{{6}}-[0-9]{{4}}$"
ACTOR = r"^[a-z0-9][a-z0-9._-]{0,63}$"
KEY_ID = r"^[0-9a-f]{32}$"
HEX64 = r"^[0-9a-f]{64}$"
BASE64 = r"^[A-Za-z0-9+/]*={0,2}$"
INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"
MAX_BATCH = 1000
MAX_PER_FILE = 100

Text = Annotated[str, Field(min_length=1, max_length=500)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Actor = Annotated[str, Field(pattern=ACTOR, max_length=64)]
Items = Annotated[list[Text], Field(min_length=1, max_length=50)]
FileCode = Annotated[str, Field(pattern=FILE_CODE, max_length=MAX_FILE_CODE_LENGTH)]
KeyId = Annotated[str, Field(pattern=KEY_ID)]

EXAMPLE_CODE = "PTEST-260302-0001"
EXAMPLE_KID = "3f1c0a9be2d94c7f8a1b6e5d4c3b2a19"
EXAMPLE_HASH = "9b3d4f0e1c2a5b6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f"


def strict_config(*examples: dict[str, Any]) -> ConfigDict:
    """Unknown fields refused; ``examples`` shown in the OpenAPI document."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


SIGNING_FIELDS = {
    "key_id": "The caller's registered key that will sign the envelope.",
    "at": "When the action happens (default: the server's clock); checked again at submit.",
    "actor": "Integration clients only: the officer who acts and signs.",
}
