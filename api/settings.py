"""The one frozen settings object, built at start-up from the data directory, the environment
and the command line (in that order of precedence, lowest first). Nothing here runs at import."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import orjson

from domain.calendar import OfficeHours, WorkingCalendar, vietnam_calendar
from domain.deadlines import SupplementPolicy
from domain.working_year import YearDays, proposed_year
from ledger.errors import ConfigurationError
from signing import EncodingError, unb64
from signing.cosignature import CosignatureVerifier
from signing.errors import NoteError

CONFIG_NAME = "hoso.json"
DEFAULT_DATA = Path("hoso-data")
DB_ENV = "HOSO_DB"
WITNESSES_ENV = "HOSO_WITNESSES"
RATE_LIMIT_ENV = "HOSO_RATE_LIMIT_STORAGE"
PROXIES_ENV = "HOSO_TRUSTED_PROXIES"


@dataclass(frozen=True)
class WitnessSetting:
    """A witness (bên chứng kiến) the service asks after each checkpoint: its cosignature
    verifier key (which names it) and the URL prefix of its C2SP tlog-witness service."""

    vkey: str
    url: str

    @property
    def name(self) -> str:
        return self.vkey.split("+", 1)[0]


def _witnesses(raw: object, where: str) -> tuple[WitnessSetting, ...]:
    """``[{"vkey": ..., "url": ...}, ...]``, each key a cosignature key, each URL http(s)."""
    if not isinstance(raw, list):
        raise ConfigurationError(f"{where}: witnesses must be a list of {{vkey, url}}")
    found = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != {"vkey", "url"}:
            raise ConfigurationError(f"{where}: witness {n + 1} must have exactly vkey and url")
        vkey, url = item["vkey"], item["url"]
        try:
            vkey = CosignatureVerifier.from_vkey(vkey).vkey()
        except NoteError as e:
            raise ConfigurationError(f"{where}: witness {n + 1}: {e}") from e
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"{where}: witness {n + 1}: the url must be http(s)://...")
        found.append(WitnessSetting(vkey, url))
    return tuple(found)


def _witnesses_from_env(default: tuple[WitnessSetting, ...]) -> tuple[WitnessSetting, ...]:
    raw = os.environ.get(WITNESSES_ENV)
    if raw is None:
        return default
    try:
        return _witnesses(orjson.loads(raw), WITNESSES_ENV)
    except orjson.JSONDecodeError as e:
        raise ConfigurationError(f"{WITNESSES_ENV} is not JSON: {e}") from e


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    origin: str
    authority: str
    authority_key: bytes
    db: str | None = None
    log_vkey: str | None = None
    # A new checkpoint once this many seconds passed since the last, or this many entries
    # came, whichever first; the integrator (hoso serve) looks for new events every
    # integrate_every_seconds. Their sum bounds the time from a command's answer to a signed
    # checkpoint that includes it (issue 19: 0.25 and 0.5 keep it under a second).
    checkpoint_every_seconds: float = 60.0
    checkpoint_every_entries: int = 1000
    integrate_every_seconds: float = 2.0
    # hoso serve: concurrent commands stored together, at most this many per transaction,
    # waiting at most this long for commands already on their way (0: never wait).
    group_commit_max_batch: int = 64
    group_commit_max_wait_ms: float = 2.0
    supplement_policy: SupplementPolicy = SupplementPolicy.EXTEND
    makeup_working_days: tuple[date, ...] = ()
    extra_days_off: tuple[date, ...] = ()
    office_hours: tuple[tuple[time, time], ...] = field(
        default_factory=lambda: OfficeHours().periods
    )
    # the witnesses the service asks after each checkpoint (HOSO_WITNESSES overrides hoso.json)
    witnesses: tuple[WitnessSetting, ...] = ()
    witness_timeout_seconds: float = 5.0
    # how far an event's occurred_at may trail the server's recorded_at, in seconds (the audit
    # refuses more); None: not limited (histories imported or replayed from recorded traffic)
    max_event_delay_seconds: int | None = None
    # where every worker counts the lookup's per-address limit (the ``limits`` library's URI,
    # e.g. async+redis://127.0.0.1:6379/0); None: each process in memory (1/N each)
    rate_limit_storage: str | None = None
    # the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or
    # networks); none by default: the peer's own address is the client's
    trusted_proxies: tuple[str, ...] = ()
    # how long a request's body may stall between two pieces before a 408 closes it
    body_timeout_seconds: float = 10.0
    # PostgreSQL connections of one process (issue 16): the ledger's store keeps
    # ``pg_pool_size`` and opens as many more at a peak; each of the read models' datastores
    # (3 for a service that follows them, 5 more for the followers) keeps
    # ``pg_projection_pool_size`` and as many more; the lookups keep 1. By default at most
    # 8 + 2 * 8 + 1 = 25 for ``hoso serve`` (22 measured under load); with ``--workers N``
    # the leader 8 + 2 * 8 = 24 and each worker 8 + 1 = 9: 51 at N = 3 (37 measured), well
    # below PostgreSQL's 100; see README "PostgreSQL".
    pg_pool_size: int = 4
    pg_projection_pool_size: int = 1

    @property
    def max_event_delay(self) -> timedelta | None:
        s = self.max_event_delay_seconds
        return None if s is None else timedelta(seconds=s)

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def calendar(self) -> WorkingCalendar:
        return vietnam_calendar(
            makeup_working_days=self.makeup_working_days,
            extra_days_off=self.extra_days_off,
            office_hours=OfficeHours(self.office_hours),
        )

    def proposed_year(self, year: int) -> YearDays:
        """``year`` as the pinned ``holidays`` package has it, with this configuration's local
        make-up working days and extra days off: what ``hoso init`` publishes."""
        return proposed_year(
            year, makeup_working_days=self.makeup_working_days, extra_days_off=self.extra_days_off
        )

    def to_json(self) -> bytes:
        from signing import b64

        doc: dict[str, Any] = {
            "origin": self.origin,
            "authority": self.authority,
            "authority_public_key": b64(self.authority_key),
            "db": self.db,
            "log_vkey": self.log_vkey,
            "checkpoint_every_seconds": self.checkpoint_every_seconds,
            "checkpoint_every_entries": self.checkpoint_every_entries,
            "integrate_every_seconds": self.integrate_every_seconds,
            "group_commit_max_batch": self.group_commit_max_batch,
            "group_commit_max_wait_ms": self.group_commit_max_wait_ms,
            "supplement_policy": self.supplement_policy.value,
            "calendar": {
                "makeup_working_days": [d.isoformat() for d in self.makeup_working_days],
                "extra_days_off": [d.isoformat() for d in self.extra_days_off],
                "office_hours": [
                    [a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in self.office_hours
                ],
            },
            "witnesses": [{"vkey": w.vkey, "url": w.url} for w in self.witnesses],
            "witness_timeout_seconds": self.witness_timeout_seconds,
            "max_event_delay_seconds": self.max_event_delay_seconds,
            "rate_limit_storage": self.rate_limit_storage,
            "trusted_proxies": list(self.trusted_proxies),
            "body_timeout_seconds": self.body_timeout_seconds,
            "pg_pool_size": self.pg_pool_size,
            "pg_projection_pool_size": self.pg_projection_pool_size,
        }
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def load_settings(data_dir: Path, db: str | None = None) -> Settings:
    """Read ``DATA/hoso.json``; ``HOSO_DB`` overrides its database, ``db`` overrides both."""
    path = data_dir / CONFIG_NAME
    if not path.is_file():
        raise ConfigurationError(
            f"{data_dir} is not a hoso data directory (no {CONFIG_NAME}): "
            f"run `hoso init --data {data_dir}`"
        )
    try:
        doc = orjson.loads(path.read_bytes())
        cal = doc.get("calendar", {})
        return Settings(
            data_dir=data_dir,
            origin=str(doc["origin"]),
            authority=str(doc["authority"]),
            authority_key=unb64(str(doc["authority_public_key"])),
            db=db or os.environ.get(DB_ENV) or doc.get("db") or None,
            log_vkey=doc.get("log_vkey"),
            checkpoint_every_seconds=_interval(doc, "checkpoint_every_seconds", 60.0),
            checkpoint_every_entries=int(doc.get("checkpoint_every_entries", 1000)),
            integrate_every_seconds=_interval(doc, "integrate_every_seconds", 2.0),
            group_commit_max_batch=int(doc.get("group_commit_max_batch", 64)),
            group_commit_max_wait_ms=float(doc.get("group_commit_max_wait_ms", 2.0)),
            supplement_policy=SupplementPolicy(doc.get("supplement_policy", "extend")),
            makeup_working_days=tuple(
                date.fromisoformat(d) for d in cal.get("makeup_working_days", [])
            ),
            extra_days_off=tuple(date.fromisoformat(d) for d in cal.get("extra_days_off", [])),
            office_hours=tuple(
                (time.fromisoformat(a), time.fromisoformat(b))
                for a, b in cal.get("office_hours", [["07:30", "11:30"], ["13:00", "17:00"]])
            ),
            witnesses=_witnesses_from_env(_witnesses(doc.get("witnesses", []), str(path))),
            witness_timeout_seconds=float(doc.get("witness_timeout_seconds", 5.0)),
            max_event_delay_seconds=_optional_seconds(doc.get("max_event_delay_seconds")),
            rate_limit_storage=os.environ.get(RATE_LIMIT_ENV) or doc.get("rate_limit_storage"),
            trusted_proxies=_proxies(os.environ.get(PROXIES_ENV), doc.get("trusted_proxies", [])),
            body_timeout_seconds=float(doc.get("body_timeout_seconds", 10.0)),
            pg_pool_size=int(doc.get("pg_pool_size", 4)),
            pg_projection_pool_size=int(doc.get("pg_projection_pool_size", 1)),
        )
    except (orjson.JSONDecodeError, KeyError, ValueError, TypeError, EncodingError) as e:
        raise ConfigurationError(f"{path} is not a valid hoso configuration: {e}") from e


def _proxies(env: str | None, configured: Any) -> tuple[str, ...]:
    """The trusted proxies: ``HOSO_TRUSTED_PROXIES`` (comma-separated) over ``hoso.json``; each
    an IP address or network."""
    if env is not None:
        configured = [p.strip() for p in env.split(",") if p.strip()]
    if not isinstance(configured, list):
        raise ValueError("trusted_proxies must be a list of addresses or networks")
    out = []
    for item in configured:
        try:
            out.append(str(ipaddress.ip_network(str(item), strict=False)))
        except ValueError as e:
            raise ValueError(f"trusted proxy {item!r} is not an address or a network") from e
    return tuple(out)


DAY = 86_400.0  # the longest cadence of the log: beyond it, a timer the loop cannot set


def _interval(doc: dict[str, Any], name: str, default: float) -> float:
    value = doc.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= DAY:
        raise ValueError(
            f"{name} must be a positive number of seconds, at most a day, not {value!r}"
        )
    return float(value)


def _optional_seconds(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(
            f"max_event_delay_seconds must be a whole number of seconds, not {value!r}"
        )
    return value
