"""The parallel full audit's workers: every stateless check of an event, next to its signature.

A worker process reopens the store itself (``store_url``), reads a range of log positions and,
for each file event, does everything that does not depend on the events before it: the envelope's
canonical form and fields, the row columns, the origin, the payload's codec, the file code, the
signing message, the chain hash and the Ed25519 signature. It sends back a compact ``Fact``; the
parent keeps only what depends on log order (each stream's head, the key registry, the role).

The worker's checks are a fast path, never a judge: a ``Fact`` means "the reference checks of
``ChainVerifier`` pass for this event, given the right head and registry". Anything it is not
sure of (a registry event, an unusual value, any failure) comes back as a ``Raw`` row, and the
parent runs ``ChainVerifier.check`` on it, so the verdict and the reason named are always the
reference's. Fails closed: a wrong fast path can only send more events to the reference.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import typing
from binascii import a2b_base64, b2a_base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.domain import CanInitAggregate
from psycopg.rows import tuple_row

from domain.codes import parse_file_code
from domain.events import Desk
from ledger.chain.verify import OFFICERS, unit_roles_allowed
from ledger.encoding import codec
from ledger.encoding.canonical import MAX_SAFE_INTEGER
from ledger.encoding.envelope import _KEYS as ENVELOPE_KEYS
from ledger.encoding.envelope import FORMAT_VERSION, SIGNING_CONTEXT, decode
from ledger.encoding.timefmt import _INSTANT as INSTANT_RE
from ledger.encoding.timefmt import parse_instant
from ledger.errors import StoreError
from ledger.store.events import EVENTS_TABLE, EventStore, open_postgres, open_sqlite
from signing import unb64
from signing.registry import REGISTRY_STREAM, KeyRegistered, RegistryEstablished, Role

Raw = tuple[int, str, int, str, bytes]
"""A row for the parent to check with ``ChainVerifier``: position, stream, version, topic, state."""
Fact = tuple[int, str, int, str, str, str, str, str, str, int]
"""A file event whose stateless checks and signature passed: position, stream, version,
prev_hash, chain hash, actor, key id, occurred_at (its canonical text: cheaper to send than a
datetime), the file's unit, its rule in ``RULES``. The row itself stays in the store (the parent
reads it again in the rare case it must hand the event to the reference)."""

Pending = tuple[Ed25519PublicKey, bytes, bytes]
"""A signature still to verify: the actor's key, the signature, the signed message."""


def verified(pending: Pending) -> bool:
    key, signature, message = pending
    try:
        key.verify(signature, message)
    except Exception:  # fail closed: the reference names the bad signature
        return False
    return True


RULES: tuple[tuple[frozenset[Role], bool], ...] = (
    (OFFICERS, True),
    (frozenset({Role.LEADER}), True),
    (frozenset({Role.KIOSK, Role.OFFICER, Role.LEADER}), True),
    (OFFICERS, False),
)
"""The (roles, must be of the file's unit) pairs of ``unit_roles_allowed``; anything else is Raw."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_WITH_RECEIPT = ENVELOPE_KEYS | {"recorded_at"}
_DESK_KEYS = frozenset({"officer", "department", "agency"})
_SORT = orjson.OPT_SORT_KEYS

Check = Callable[[Any], bool]


def _is_str(value: Any) -> bool:
    return type(value) is str


def _is_int(value: Any) -> bool:
    return type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER


def _is_bool(value: Any) -> bool:
    return type(value) is bool


def _is_instant(value: Any) -> bool:
    """``parse_instant(value)`` would succeed (same pattern, same date check, no tz object)."""
    if type(value) is not str or not INSTANT_RE.match(value):
        return False
    datetime.fromisoformat(value[:-1])  # raises ValueError: the caller falls back
    return True


def _is_desk(value: Any) -> bool:
    return (
        type(value) is dict
        and value.keys() == _DESK_KEYS
        and type(value["officer"]) is str
        and type(value["department"]) is str
        and type(value["agency"]) is str
    )


def _checker(hint: Any) -> Check | None:
    """A check that accepts only payload values ``codec`` decodes to ``hint`` and that
    ``canonical_bytes`` encodes as they are (so no separate walk of the payload is needed);
    None for a type it does not know (the event then always goes to the reference)."""
    simple: dict[Any, Check] = {
        str: _is_str,
        int: _is_int,
        bool: _is_bool,
        datetime: _is_instant,
        Desk: _is_desk,
    }
    if hint in simple:
        return simple[hint]
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _checker(args[0])
        if item is not None:
            each = item
            return lambda value: type(value) is list and all(each(v) for v in value)
    return None


@dataclass(frozen=True)
class _Kind:
    """What the fast path knows of one event type once the reference codec decoded one."""

    fields: tuple[tuple[str, Check], ...]
    names: frozenset[str]
    rule: int
    opens_stream: bool


class FactFinder:
    """The stateless half of ``ChainVerifier.check`` for file events (see the module's note)."""

    def __init__(self, origin: str, public_keys: dict[str, bytes | None]) -> None:
        self.origin = origin
        self.public_keys = public_keys
        self._loaded: dict[bytes, Ed25519PublicKey] = {}
        self._kinds: dict[str, _Kind] = {}
        self._units: dict[str, str] = {}

    def _kind(
        self, topic: str, payload: Any, stream: str, version: int, at: datetime, actor: str
    ) -> _Kind | None:
        """The event type's checks, learnt from ``codec.from_payload`` on its first event."""
        event = codec.from_payload(
            topic, payload, stream=stream, version=version, occurred_at=at, actor=actor
        )
        rule = unit_roles_allowed(event)
        checks = [(name, _checker(hint)) for name, hint in codec._fields(type(event))]
        if rule not in RULES or any(check is None for _, check in checks):
            return None
        fields = tuple((name, check) for name, check in checks if check is not None)
        kind = _Kind(
            fields,
            frozenset(name for name, _ in fields),
            RULES.index(rule),
            isinstance(event, CanInitAggregate),
        )
        self._kinds[topic] = kind
        return kind

    def _unit(self, stream: str) -> str:
        unit = self._units.get(stream)
        if unit is None:
            if len(self._units) > 100_000:  # bounded memory: forget the files seen so far
                self._units.clear()
            unit = self._units[stream] = parse_file_code(stream).unit
        return unit

    def fact(self, pos: int, stream: str, version: int, topic: str, data: bytes) -> Fact | None:
        """The event's ``Fact``, or None if the reference must look at it."""
        prepared = self.prepare(pos, stream, version, topic, data)
        if prepared is None or not verified(prepared[1]):
            return None
        return prepared[0]

    def prepare(
        self, pos: int, stream: str, version: int, topic: str, data: bytes
    ) -> tuple[Fact, Pending] | None:
        """The event's ``Fact`` once its signature (``Pending``) verifies, or None if the
        reference must look at it. Verification is left to the caller, so that a worker can
        verify a whole range's signatures in one tight loop (warm caches, as the baseline)."""
        if stream == REGISTRY_STREAM or type(data) is not bytes:
            return None
        try:
            return self._fact(pos, stream, version, topic, data)
        except Exception:  # fail closed: whatever went wrong, the reference names it
            return None

    def _fact(
        self, pos: int, stream: str, version: int, topic: str, data: bytes
    ) -> tuple[Fact, Pending] | None:
        doc = orjson.loads(data)
        if type(doc) is not dict:
            return None
        keys = doc.keys()
        if keys != ENVELOPE_KEYS and keys != _WITH_RECEIPT:
            return None
        v, origin, occurred_at, actor, kid = (
            doc["v"],
            doc["origin"],
            doc["occurred_at"],
            doc["actor"],
            doc["key_id"],
        )
        prev_hash, sig, payload = doc["prev_hash"], doc["sig"], doc["payload"]
        recorded_at = doc.get("recorded_at")
        # Row columns and envelope agree (so stream, version and type are the row's own, of
        # their types), then the fields' types as decode() requires them.
        if doc["stream"] != stream or doc["type"] != topic or type(stream) is not str:
            return None
        if type(doc["version"]) is not int or doc["version"] != version or type(topic) is not str:
            return None
        if not -MAX_SAFE_INTEGER <= version <= MAX_SAFE_INTEGER or type(v) is not int:
            return None
        if v != FORMAT_VERSION or origin != self.origin or type(origin) is not str:
            return None
        if type(actor) is not str or type(kid) is not str or type(payload) is not dict:
            return None
        if type(prev_hash) is not str or not _HEX64.fullmatch(prev_hash):
            return None
        if recorded_at is not None and not _is_instant(recorded_at):
            return None
        if not _is_instant(occurred_at) or orjson.dumps(doc, option=_SORT) != data:
            return None  # not canonical: whitespace, escapes, key order, duplicates...
        # unb64(sig): its one canonical text (a2b_base64 alone is lenient; the round trip is not)
        signature = a2b_base64(sig)
        if type(sig) is not str or b2a_base64(signature, newline=False) != sig.encode():
            return None
        kind = self._kinds.get(topic)
        if kind is None:
            at = parse_instant(occurred_at)
            kind = self._kind(topic, payload, stream, version, at, actor)
            if kind is None:
                return None
        if payload.keys() != kind.names or (version == 1) != kind.opens_stream:
            return None
        for name, check in kind.fields:
            if not check(payload[name]):
                return None
        unit = self._unit(stream)
        public_key = self.public_keys.get(kid)
        if public_key is None or len(signature) != 64:
            return None
        # What ChainVerifier hashes and verifies, re-encoded from the checked-canonical document:
        # canonical_bytes(x) is orjson.dumps(x, OPT_SORT_KEYS) for every x checked above.
        if recorded_at is not None:
            del doc["recorded_at"]
        chain_hash = hashlib.sha256(orjson.dumps(doc, option=_SORT)).hexdigest()
        del doc["sig"]
        message = SIGNING_CONTEXT + orjson.dumps(doc, option=_SORT)
        key = self._loaded.get(public_key)
        if key is None:
            key = self._loaded[public_key] = Ed25519PublicKey.from_public_bytes(public_key)
        rule = kind.rule
        fact = (pos, stream, version, prev_hash, chain_hash, actor, kid, occurred_at, unit, rule)
        return fact, (key, signature, message)


def registry_public_keys(store: EventStore) -> dict[str, bytes | None]:
    """Every key id the registry stream names, with its public key (None if named twice with
    different keys). Unverified: the parent checks each key against the verified registry."""
    found: dict[str, bytes | None] = {}
    for stored in store.stream(REGISTRY_STREAM):
        try:
            env = decode(stored.state)
            if env.type not in (KeyRegistered.__name__, RegistryEstablished.__name__):
                continue
            kid, public_key = env.payload["key_id"], unb64(env.payload["public_key"])
        except Exception:  # noqa: S112 - a broken registry event is the reference's to name
            continue
        if not isinstance(kid, str):
            continue
        found[kid] = public_key if found.get(kid, public_key) == public_key else None
    return found


def store_url(store: EventStore) -> str | None:
    """The URL that reopens ``store`` in another process, or None (an in-memory database)."""
    datastore: Any = getattr(store, "_datastore", None)
    pool: Any = getattr(datastore, "pool", None)
    if store.dialect == "sqlite":
        name = getattr(pool, "db_name", None)
        if not isinstance(name, str) or getattr(pool, "is_sqlite_memory_mode", True):
            return None
        return f"sqlite:///{Path(name).resolve()}"
    kw = getattr(pool, "kwargs", None)
    schema = getattr(datastore, "schema", None)
    if not isinstance(kw, dict) or not isinstance(schema, str):
        return None
    auth = quote(str(kw.get("user") or "postgres"), safe="")
    if kw.get("password"):
        auth += ":" + quote(str(kw["password"]), safe="")
    return (
        f"postgresql://{auth}@{kw.get('host') or '127.0.0.1'}:{kw.get('port') or 5432}/"
        f"{kw['dbname']}?schema={schema}"
    )


def reopen(url: str) -> EventStore:
    """The store at ``url``, with one connection (a worker reads one range at a time)."""
    if url.startswith("sqlite:///"):
        return open_sqlite(Path(url.removeprefix("sqlite:///")))
    return open_postgres(url, pool_size=1)


class RowReader:
    """Rows of the events table by log position, as plain tuples: the columns
    ``EventStore.notifications`` reads (eventsourcing's table), without building a
    ``Notification`` per row (a worker reads every event of the ledger). SQLite through its own
    connection; PostgreSQL through the reopened store's pool (its schema on the search path)."""

    def __init__(self, url: str) -> None:
        self.store = reopen(url)  # the same errors as opening the store, if it cannot be opened
        self._sqlite: sqlite3.Connection | None = None
        self._datastore: Any = getattr(self.store, "_datastore", None)
        if url.startswith("sqlite:///"):
            self._sqlite = sqlite3.connect(url.removeprefix("sqlite:///"))
        self._sql = (
            "SELECT {id}, originator_id, originator_version, topic, state FROM "  # noqa: S608
            + EVENTS_TABLE  # a constant, not input
            + " WHERE {id} >= ? AND {id} < ? ORDER BY {id}"
        ).format(id="rowid" if self._sqlite is not None else "notification_id")

    def rows(self, start: int, stop: int) -> list[tuple[int, str, int, str, bytes]]:
        try:
            if self._sqlite is not None:
                return self._sqlite.execute(self._sql, (start, stop)).fetchall()
            if not hasattr(self._datastore, "get_connection"):
                return [
                    (r.id, str(r.originator_id), r.originator_version, r.topic, r.state)
                    for r in self.store.notifications(start, stop - start)
                    if r.id < stop
                ]
            with (
                self._datastore.get_connection() as conn,
                conn.cursor(row_factory=tuple_row, binary=True) as curs,
            ):
                # Binary results: the states arrive as their bytes, not hex text to decode
                # (a third of the client's and the server's CPU per row here).
                curs.execute(self._sql.replace("?", "%s"), (start, stop), prepare=True)
                found: list[tuple[int, str, int, str, bytes]] = curs.fetchall()
                return found
        except (sqlite3.Error, psycopg.Error) as e:
            raise StoreError(f"cannot read the event log: {e}") from e


_WORKER: tuple[RowReader, FactFinder] | None = None


def init_worker(url: str, origin: str, public_keys: dict[str, bytes | None]) -> None:
    """Pool initializer: connect to the store and keep it for every range this process reads."""
    global _WORKER
    _WORKER = (RowReader(url), FactFinder(origin, public_keys))


def audit_range(start: int, stop: int) -> list[Fact | Raw]:
    """In a worker: the facts (or raw rows) of positions ``start`` to ``stop - 1``, in order."""
    assert _WORKER is not None, "init_worker was not called"
    reader, finder = _WORKER
    out: list[Fact | Raw] = []
    pending: list[tuple[int, Pending, Raw]] = []
    for pos, stream, version, topic, state in reader.rows(start, stop):
        raw = (pos, str(stream), version, topic, bytes(state))
        prepared = finder.prepare(*raw)
        if prepared is None:
            out.append(raw)
        else:
            pending.append((len(out), prepared[1], raw))
            out.append(prepared[0])
    for index, check, raw in pending:
        if not verified(check):
            out[index] = raw
    return out
