"""Wiring: settings -> store -> ledger. The only place that turns configuration into objects."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from api.settings import CONFIG_NAME, Settings, load_settings
from ledger.errors import ConfigurationError
from ledger.service import Ledger
from ledger.store import open_store
from signing import KeyDirectory

AUTHORITY = "authority"


def open_ledger(settings: Settings) -> Ledger:
    store = open_store(settings.db, settings.data_dir)
    return Ledger(
        store,
        origin=settings.origin,
        authority_key=settings.authority_key,
        calendar=settings.calendar(),
        supplement_policy=settings.supplement_policy,
    )


def init_data_dir(
    data_dir: Path, *, origin: str, db: str | None, at: datetime, seed: bytes | None = None
) -> Settings:
    """Create the data directory: the authority's key, the configuration, the key registry."""
    if (data_dir / CONFIG_NAME).exists():
        raise ConfigurationError(f"{data_dir} already holds a ledger ({CONFIG_NAME} exists)")
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = KeyDirectory(data_dir / "keys")
    authority = keys.create(AUTHORITY, seed=seed)
    settings = Settings(
        data_dir=data_dir,
        origin=origin,
        authority=AUTHORITY,
        authority_key=authority.public_key,
        db=db,
    )
    ledger = open_ledger(settings)
    try:
        ledger.establish_registry(authority, actor=AUTHORITY, at=at)
    finally:
        ledger.store.close()
    (data_dir / CONFIG_NAME).write_bytes(settings.to_json())
    return load_settings(data_dir, db)
