"""The offline verifier of evidence bundles: no database, no server, only the log's key.

Trust flows from the log key alone: the checkpoint is signed by it; every entry is proven to be
in that checkpoint's tree; the key registry is replayed from its genesis (which names the ledger
authority) to the head the checkpoint commits to; each of the file's events is then checked like
any read: canonical envelope, chain from genesis, key valid for that actor at that instant,
signature, role. ``verify_bundle_report`` gives the timeline and every failure found;
``verify_bundle`` raises ``BundleError`` unless everything holds (fails closed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eventsourcing.persistence import StoredEvent

from domain.calendar import vietnam_calendar
from domain.deadlines import SupplementPolicy
from ledger.chain.rule_replay import RuleReplay, RuleSettings
from ledger.chain.verify import ChainVerifier, receipt_time
from ledger.encoding.envelope import Envelope, decode
from ledger.errors import BundleError, LedgerError, TamperError
from ledger.log import merkle
from ledger.log.checkpoint import open_checkpoint
from ledger.log.formats import BUNDLE_FORMAT, REGISTRY_HEAD_PREFIX
from ledger.log.heads_verify import check_head
from ledger.witness.policy import WitnessPolicy, judge
from signing import unb64
from signing.errors import VerificationError
from signing.note import NoteVerifier
from signing.registry import REGISTRY_STREAM, WorkingCalendarPublished


@dataclass(frozen=True)
class TimelineRow:
    version: int
    leaf_index: int
    occurred_at: datetime
    type: str
    actor: str
    role: str
    key_id: str
    payload: dict[str, Any]


@dataclass
class CalendarUsed:
    year: int
    leaf_index: int
    source: str


def _calendars(
    registry: list[tuple[int, bytes, list[bytes]]], timeline: list[TimelineRow]
) -> list[CalendarUsed]:
    """The publications of the working calendar in force at the last of ``timeline``."""
    if not timeline:
        return []
    last = timeline[-1].leaf_index
    years = range(timeline[0].occurred_at.year, timeline[-1].occurred_at.year + 2)
    latest: dict[int, CalendarUsed] = {}
    for index, entry, _proof in registry:
        env = decode(entry)
        if index < last and env.type == WorkingCalendarPublished.__name__:
            year = int(env.payload["year"])
            latest[year] = CalendarUsed(year, index, str(env.payload["source"]))
    return [latest[y] for y in years if y in latest]


@dataclass
class BundleReport:
    file: str = ""
    origin: str = ""
    checkpoint_size: int = 0
    registry_events: int = 0
    cosignatures: int = 0  # valid cosignatures by the witnesses named to the verifier
    witnesses: tuple[str, ...] = ()  # their names
    unchecked_cosignatures: tuple[str, ...] = ()  # names on lines by keys nobody named
    timeline: list[TimelineRow] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    calendars: list[CalendarUsed] = field(default_factory=list)
    """The working calendar in force at the file's last event for the years of its life (and
    the year after, where a deadline may fall): which publication, at which leaf."""

    @property
    def ok(self) -> bool:
        return not self.failures and bool(self.timeline)


def _entries(doc: dict[str, Any], key: str) -> list[tuple[int, bytes, list[bytes]]]:
    raw = doc.get(key)
    if not isinstance(raw, list):
        raise BundleError([f"malformed bundle: {key!r} is not a list"])
    out = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != {"leaf_index", "entry", "inclusion_proof"}:
            raise BundleError([f"malformed bundle: {key}[{n}] has missing or unknown fields"])
        index, proof = item["leaf_index"], item["inclusion_proof"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise BundleError([f"malformed bundle: {key}[{n}].leaf_index is not a leaf index"])
        if not isinstance(proof, list) or not all(isinstance(h, str) for h in proof):
            raise BundleError([f"malformed bundle: {key}[{n}].inclusion_proof is not a list"])
        try:
            out.append((index, unb64(str(item["entry"])), [unb64(h) for h in proof]))
        except VerificationError as e:
            raise BundleError([f"malformed bundle: {key}[{n}] is not base64: {e}"]) from e
    return out


def _registry_head(extensions: tuple[str, ...]) -> tuple[int, str]:
    heads = [line for line in extensions if line.startswith(REGISTRY_HEAD_PREFIX)]
    if len(heads) != 1:
        raise BundleError(["the checkpoint does not commit to the key registry's head"])
    parts = heads[0][len(REGISTRY_HEAD_PREFIX) :].split(" ")
    if len(parts) != 2 or not parts[0].isdigit():
        raise BundleError([f"the checkpoint's registry head {heads[0]!r} is malformed"])
    return int(parts[0]), parts[1]


def verify_bundle_report(
    doc: Any, log_vkey: str, *, witnesses: WitnessPolicy | None = None
) -> BundleReport:
    """``witnesses``: the witness policy the checkpoint's cosignatures must meet (none: none
    required, and no cosignature is counted, since none can be checked)."""
    report = BundleReport()
    try:
        _verify(doc, log_vkey, report, witnesses or WitnessPolicy())
    except BundleError as e:
        report.failures.extend(e.failures)
    except (VerificationError, LedgerError, ValueError) as e:
        report.failures.append(str(e))
    if not report.failures and not report.timeline:
        report.failures.append("the bundle holds no event of the file")
    return report


def verify_bundle(
    doc: Any, log_vkey: str, *, witnesses: WitnessPolicy | None = None
) -> BundleReport:
    report = verify_bundle_report(doc, log_vkey, witnesses=witnesses)
    if not report.ok:
        raise BundleError(report.failures)
    return report


def _verify(doc: Any, log_vkey: str, report: BundleReport, witnesses: WitnessPolicy) -> None:
    if isinstance(doc, dict) and doc.get("format") == "hoso-bundle/v1":
        raise BundleError(
            ["a hoso-bundle/v1 bundle carries no proof of its file's head: build it again"]
        )
    if not isinstance(doc, dict) or doc.get("format") != BUNDLE_FORMAT:
        raise BundleError([f"not a {BUNDLE_FORMAT} document"])
    expected = {"format", "origin", "file", "checkpoint", "entries", "registry", "head"}
    if set(doc) != expected:
        raise BundleError(["malformed bundle: missing or unknown top-level fields"])
    origin, code, note = doc["origin"], doc["file"], doc["checkpoint"]
    if not all(isinstance(v, str) for v in (origin, code, note)):
        raise BundleError(["malformed bundle: origin, file and checkpoint must be text"])
    report.origin, report.file = origin, code
    verifier = NoteVerifier.from_vkey(log_vkey)
    checkpoint, opened = open_checkpoint(note, verifier, origin=origin)
    report.checkpoint_size = checkpoint.size
    tally, witness_failures = judge(witnesses, opened.text, opened.unverified)
    report.cosignatures, report.witnesses = tally.count, tally.names
    report.unchecked_cosignatures = tally.unknown
    report.failures.extend(witness_failures)
    registry, entries = _entries(doc, "registry"), _entries(doc, "entries")
    failures = []
    for label, items in (("registry", registry), ("entries", entries)):
        for n, (index, entry, proof) in enumerate(items):
            ok = index < checkpoint.size and merkle.inclusion_ok(
                merkle.leaf_hash(entry), index, checkpoint.size, proof, checkpoint.root
            )
            if not ok:
                failures.append(
                    f"{label}[{n}] (leaf {index}): inclusion proof does not lead to the "
                    f"checkpoint's root at size {checkpoint.size}"
                )
    if failures:
        raise BundleError(failures)
    chain = _replay_registry(origin, registry, checkpoint.extensions, report)
    # In log order, each event is judged no earlier than the server's time of what the log held
    # before it (the registry's events before its leaf, the file's earlier events), so a
    # revocation in force when logged stands for every later leaf, whatever its times say.
    logged = [(i, receipt_time(decode(e))) for i, e, _p in registry]
    chain.log_order, file_floor = True, None
    # Offline, the deployment's office hours are unknown: each step is checked legal and in time,
    # not its deadline to the minute; the calendar published in the log is named in the report.
    rules = RuleReplay(RuleSettings(vietnam_calendar(), SupplementPolicy.EXTEND), exact=False)
    for index, entry, _proof in entries:
        before = [t for i, t in logged if i < index]
        if file_floor is not None:
            before.append(file_floor)
        chain.floor = max(before) if before else None
        env = _checked(chain, entry, index)
        file_floor = chain.floor
        if env.stream != code:
            raise BundleError([f"leaf {index} belongs to {env.stream}, not to file {code}"])
        reason = rules.step(env)  # a legal step of the file as it stood, in time
        if reason is not None:
            raise BundleError([f"leaf {index} (file {code} version {env.version}): {reason}"])
        assert chain.registry is not None
        record = chain.registry.keys[env.key_id]
        report.timeline.append(
            TimelineRow(
                version=env.version,
                leaf_index=index,
                occurred_at=env.occurred_at,
                type=env.type,
                actor=env.actor,
                role=record.role.value,
                key_id=env.key_id,
                payload=env.payload,
            )
        )
    if entries:  # nothing of the file comes after its last entry: the map's head says so
        index, entry, _proof = entries[-1]
        check_head(
            code, doc["head"], checkpoint.extensions, (report.timeline[-1].version, index, entry)
        )
    report.calendars = _calendars(registry, report.timeline)


def _checked(chain: ChainVerifier, entry: bytes, index: int) -> Envelope:
    try:
        env = decode(entry)
        chain.check(StoredEvent(env.stream, env.version, env.type, entry))
    except TamperError as e:
        raise BundleError([f"leaf {index} ({e.stream} version {e.version}): {e.reason}"]) from e
    except LedgerError as e:
        raise BundleError([f"leaf {index}: {e}"]) from e
    return env


def _replay_registry(
    origin: str,
    registry: list[tuple[int, bytes, list[bytes]]],
    extensions: tuple[str, ...],
    report: BundleReport,
) -> ChainVerifier:
    head_version, head_hash = _registry_head(extensions)
    if not registry:
        raise BundleError(["the bundle holds no key registry: no signature can be checked"])
    genesis = decode(registry[0][1])
    if genesis.stream != REGISTRY_STREAM or genesis.version != 1:
        raise BundleError(["the bundle's registry does not start at its genesis"])
    # The authority is whoever the logged genesis names: the log key vouches for it.
    authority = unb64(str(genesis.payload.get("public_key", "")))
    chain = ChainVerifier(origin, authority)
    for index, entry, _proof in registry:
        env = _checked(chain, entry, index)
        if env.stream != REGISTRY_STREAM:
            raise BundleError([f"leaf {index} in the registry part is not a registry event"])
    last_version, _ = chain.head(REGISTRY_STREAM)
    last_hash = hashlib.sha256(registry[-1][1]).hexdigest()
    if (last_version, last_hash) != (head_version, head_hash):
        raise BundleError(
            [
                f"the bundle's key registry ends at version {last_version}, but the checkpoint "
                f"commits to version {head_version}: registry events are missing"
            ]
        )
    report.registry_events = len(registry)
    return chain
