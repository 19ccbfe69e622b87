"""Bootstrap (khởi tạo): settings -> store -> ledger, log and read models: the only place that
builds objects from configuration. The HTTP service, ``hoso serve`` and the CLI all start here."""

from __future__ import annotations

import functools
import logging
import os
import shutil
from dataclasses import dataclass, replace
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from api.settings import CONFIG_NAME, Settings, load_settings
from api.witnesses import WitnessAsker
from ledger.chain.service import Ledger
from ledger.errors import ConfigurationError
from ledger.log import jobs
from ledger.log.storage import MerkleLog, StoredCheckpoint
from ledger.store.events import EventStore, parse_postgres_url
from ledger.store.existing import open_existing_store
from ledger.store.group_commit import GroupCommit
from ledger.store.opening import open_store
from ledger.store.pins import PEPPER_BYTES, new_pepper, pepper_id
from ledger.store.side_tables import Meta
from projections.engine.runtime import ProjectionHost
from signing import KeyDirectory, load_private_key_pem
from signing.errors import NoteError
from signing.note import NoteSigner, NoteVerifier, validate_key_name

AUTHORITY = "authority"
LOG_KEY = "log"


PIN_PEPPER = "pin-pepper"  # in the keys directory, beside the signing keys
PEPPER_ID_KEY = "pin_pepper_id"


def open_ledger(
    settings: Settings, *, group_commit: bool = False, existing: bool = False
) -> Ledger:
    """The ledger; with ``group_commit`` (the service) concurrent commands share
    transactions (close it with ``Ledger.close``). ``existing``: its store must already hold a
    ledger (the CLI's commands: reading never creates storage)."""
    store = (
        open_existing_store(settings.db, settings.data_dir)
        if existing
        else open_store(settings.db, settings.data_dir, pool_size=settings.pg_pool_size)
    )
    writer = None
    if group_commit:
        writer = GroupCommit(
            store,
            max_batch=settings.group_commit_max_batch,
            max_wait=settings.group_commit_max_wait_ms / 1000,
        )
    return Ledger(
        store,
        origin=settings.origin,
        authority_key=settings.authority_key,
        calendar=settings.calendar(),  # office hours; the days are those published
        supplement_policy=settings.supplement_policy,
        group_commit=writer,
        pin_pepper=checked_pepper(settings, store, existing=existing),
    )


def checked_pepper(settings: Settings, store: EventStore, *, existing: bool) -> bytes | None:
    """The PIN pepper, checked against the id the ledger keeps of it (``hoso_meta``): a ledger
    whose PINs were made with a pepper refuses to open without it, or with another, in one
    sentence, rather than make a new one under which no citizen's PIN would open."""
    path = settings.keys_dir / PIN_PEPPER
    known = Meta(store).get(PEPPER_ID_KEY)
    pepper = pin_pepper(settings, create=not existing and known is None)
    if pepper is None:
        if known is not None:
            raise ConfigurationError(
                f"the PIN pepper {path} is missing, and this ledger's PINs were made with it: "
                "restore it from its backup (without it no citizen's PIN can be checked)"
            )
        return None
    if known is None:
        if not existing:
            Meta(store).put_new(PEPPER_ID_KEY, pepper_id(pepper))
    elif known != pepper_id(pepper):
        raise ConfigurationError(
            f"the PIN pepper {path} is not the one this ledger's PINs were made with: "
            "restore the right file from its backup"
        )
    return pepper


def pin_pepper(settings: Settings, *, create: bool = True) -> bytes | None:
    """The server's PIN pepper (``ledger.store.pins``): a secret kept outside the database, in
    the keys directory, made (mode 0600) the first time a writer opens the ledger. None when
    it does not exist and ``create`` is False (a reader: no keyed PIN can exist yet)."""
    path = settings.keys_dir / PIN_PEPPER
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            data = path.read_bytes()
        else:
            data = new_pepper()
            with os.fdopen(fd, "wb") as f:
                f.write(data)
    if len(data) != PEPPER_BYTES:
        raise ConfigurationError(f"the PIN pepper {path} is not {PEPPER_BYTES} bytes")
    return data


@dataclass
class Services:
    """What a long-running process of hoso works with, built once from the settings
    (``open_services``): the ledger, its Merkle log, the log's checkpoint key and policy."""

    settings: Settings
    ledger: Ledger
    log: MerkleLog
    policy: jobs.CheckpointPolicy

    @functools.cached_property
    def log_signer(self) -> NoteSigner:
        """The log's checkpoint key, read on first use (a reader-only process never needs it)."""
        return log_signer(self.settings)

    @functools.cached_property
    def witness_asker(self) -> WitnessAsker:
        """Asks the configured witnesses to cosign new checkpoints (``api.witnesses``)."""
        return WitnessAsker(
            self.log, self.settings.witnesses, timeout=self.settings.witness_timeout_seconds
        )

    def warm_heads(self) -> None:
        """At start, before the integrator's loop: the map of file heads built for the log's
        size, so that the first checkpoint after start updates it instead of building it from
        every leaf (about a second at 1M leaves, which a command's wait for its checkpoint
        would otherwise pay). A failure is logged; the first checkpoint then builds the map."""
        try:
            size = self.log.size()
            if size:
                self.log.heads.at(size)
        except Exception as e:
            logging.getLogger("hoso.log").warning("building the map of file heads failed: %s", e)

    def integrate_logged(self, *, failing: bool) -> bool:
        """One step of the integrator's loop (``ledger.log.jobs.integrate_logged``), then the
        witnesses are asked about any new checkpoint (in their own thread: never waited for)."""
        failed = jobs.integrate_logged(self.log, self.log_signer, self.policy, failing=failing)
        self.witness_asker.poke()
        return failed

    def projections(self) -> ProjectionHost:
        """The read models of this ledger (created on first use, then followed)."""
        return open_projections(self.settings, self.ledger)

    def close(self) -> None:
        if "witness_asker" in self.__dict__:
            self.witness_asker.close()
        self.ledger.close()


def open_services(settings: Settings, *, group_commit: bool = True) -> Services:
    """The services of ``hoso serve`` (group commit on by default; close with ``close``)."""
    ledger = open_ledger(settings, group_commit=group_commit)
    return Services(settings, ledger, open_log(ledger), checkpoint_policy(settings))


def open_log(ledger: Ledger) -> MerkleLog:
    return MerkleLog(ledger.store, ledger.origin)


def log_signer(settings: Settings) -> NoteSigner:
    """The log's checkpoint key (DATA/keys/log.pem); its note name is the log's origin."""
    path = settings.keys_dir / f"{LOG_KEY}.pem"
    return NoteSigner(settings.origin, load_private_key_pem(path))


def checkpoint_policy(settings: Settings) -> jobs.CheckpointPolicy:
    return jobs.CheckpointPolicy(
        every_seconds=settings.checkpoint_every_seconds,
        every_entries=settings.checkpoint_every_entries,
    )


def integrate_and_checkpoint(
    settings: Settings, ledger: Ledger, *, now: datetime | None = None, force: bool = False
) -> StoredCheckpoint | None:
    """``ledger.log.jobs.integrate_and_checkpoint`` with this ledger's log, key and policy."""
    return jobs.integrate_and_checkpoint(
        open_log(ledger), log_signer(settings), checkpoint_policy(settings), now=now, force=force
    )


def log_verifier(settings: Settings) -> NoteVerifier:
    if not settings.log_vkey:
        raise ConfigurationError(f"{settings.data_dir} has no log key (log_vkey in {CONFIG_NAME})")
    return NoteVerifier.from_vkey(settings.log_vkey)


SEED_SOURCE = (
    "Vietnam's public holidays, substitute days off and make-up working days as the holidays "
    "package {version} has them, published when the ledger was created"
)


def init_data_dir(
    data_dir: Path, *, origin: str, db: str | None, at: datetime, seed: bytes | None = None
) -> Settings:
    """Create the data directory: authority and log keys, the configuration, the key registry,
    and the working calendar of the year of ``at`` and the years either side, signed by the
    authority (a proposal of the pinned ``holidays`` package; ``hoso calendar publish`` amends
    it and publishes later years).

    Nothing is half-written: the origin and the database URL are checked before anything is,
    and a directory this call made is removed again if it fails."""
    if (data_dir / CONFIG_NAME).exists():
        raise ConfigurationError(f"{data_dir} already holds a ledger ({CONFIG_NAME} exists)")
    try:
        validate_key_name(origin)
    except NoteError as e:
        raise ConfigurationError(f"the origin {origin!r} cannot name the log: {e}") from e
    if db is not None:
        parse_postgres_url(db)
    made = not data_dir.exists()
    try:
        return _init_data_dir(data_dir, origin=origin, db=db, at=at, seed=seed)
    except BaseException:
        if made:
            shutil.rmtree(data_dir, ignore_errors=True)
        raise


def _init_data_dir(
    data_dir: Path, *, origin: str, db: str | None, at: datetime, seed: bytes | None
) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)  # the ledger, the applicants' keys, the signing keys: owner only
    keys = KeyDirectory(data_dir / "keys")
    authority = keys.create(AUTHORITY, seed=seed)
    keys.create(LOG_KEY)
    settings = Settings(
        data_dir=data_dir,
        origin=origin,
        authority=AUTHORITY,
        authority_key=authority.public_key,
        db=db,
    )
    settings = replace(settings, log_vkey=log_signer(settings).vkey())
    ledger = open_ledger(settings)
    try:
        ledger.establish_registry(authority, actor=AUTHORITY, at=at)
        for year in range(at.year - 1, at.year + 2):
            ledger.publish_calendar(
                signer=authority,
                actor=AUTHORITY,
                days=settings.proposed_year(year),
                source=SEED_SOURCE.format(version=version("holidays")),
                at=at,
            )
    finally:
        ledger.store.close()
    config = data_dir / CONFIG_NAME  # may name the database with its password: owner only
    config.touch(mode=0o600)
    os.chmod(config, 0o600)
    config.write_bytes(settings.to_json())
    return load_settings(data_dir, db)


def open_projections(settings: Settings, ledger: Ledger) -> ProjectionHost:
    """The read models of this ledger (created on first use, then followed)."""
    return ProjectionHost(
        ledger.store,
        settings.db,
        str(settings.data_dir / "ledger.sqlite3"),
        ledger.read_calendar(),
        pool_size=settings.pg_projection_pool_size,
    )
