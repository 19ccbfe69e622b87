"""The log's cadence in ``hoso.json`` (issue 19): how often the integrator looks for new events
and how soon a checkpoint follows, in seconds, fractions allowed; anything else is refused in
one sentence naming the setting."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from api.settings import CONFIG_NAME, load_settings
from ledger.errors import ConfigurationError
from signing import b64


def write(tmp_path: Path, **extra: object) -> Path:
    doc = {"origin": "hoso.test/log", "authority": "authority"}
    doc["authority_public_key"] = b64(bytes(32))
    (tmp_path / CONFIG_NAME).write_bytes(orjson.dumps({**doc, **extra}))
    return tmp_path


def test_the_defaults_and_a_fast_cadence(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path))
    assert (settings.integrate_every_seconds, settings.checkpoint_every_seconds) == (2.0, 60.0)
    fast = load_settings(
        write(tmp_path, integrate_every_seconds=0.25, checkpoint_every_seconds=0.5)
    )
    assert (fast.integrate_every_seconds, fast.checkpoint_every_seconds) == (0.25, 0.5)
    again = orjson.loads(fast.to_json())  # what `hoso init` writes reads back the same
    assert again["integrate_every_seconds"] == 0.25 and again["checkpoint_every_seconds"] == 0.5


@pytest.mark.parametrize("value", [0, -1, "fast", True, None, 86_401, 1e308])
@pytest.mark.parametrize("name", ["integrate_every_seconds", "checkpoint_every_seconds"])
def test_a_cadence_that_is_not_a_positive_number_is_refused(
    tmp_path: Path, name: str, value: object
) -> None:
    with pytest.raises(
        ConfigurationError, match=f"{name} must be a positive number of seconds, at"
    ):
        load_settings(write(tmp_path, **{name: value}))
