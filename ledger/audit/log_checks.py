"""The log half of the audit: every event in the log exactly once, in order, no holes; every
checkpoint signed, recomputed from the entries, and consistent with the next; and, given what a
witness cosigned, no rollback and no split view.

Streams leaves and events side by side in pages, folding leaf hashes into a compact range
(O(log n) memory), so a million-event ledger is audited in bounded memory; every subtree the
folding completes is compared with the stored interior node (``node_checks``). A stored row
that disagrees (a checkpoint row and its note, a missing node) is a finding, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from eventsourcing.persistence import Notification

from ledger.audit.node_checks import NodeCheck
from ledger.errors import LedgerError, StoreError
from ledger.log import merkle
from ledger.log.storage import MerkleLog, StoredCheckpoint, StoredLeaf
from ledger.store.events import EventStore
from ledger.witness.errors import WitnessError
from ledger.witness.state import WitnessState
from signing.errors import VerificationError
from signing.note import NoteVerifier

PAGE = 1000


@dataclass(frozen=True)
class WitnessView:
    """What a witness cosigned last for this log (from its state file)."""

    size: int
    root: bytes


@dataclass
class LogAuditReport:
    leaves: int = 0
    pending: int = 0
    checkpoints: int = 0
    latest_size: int = 0
    witness_checked: bool = False
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


NodeSink = Callable[[int, int, bytes], None]  # (level, index, hash) of a completed subtree


class CompactRange:
    """The perfect subtrees of a prefix of the tree: enough to give its root at any time.

    ``on_node(level, index, hash)`` is told of every subtree an appended leaf completes."""

    def __init__(self, on_node: NodeSink | None = None) -> None:
        self.stack: list[tuple[int, bytes]] = []  # (height, hash), heights strictly decreasing
        self.size = 0
        self.on_node = on_node

    def append(self, leaf: bytes) -> None:
        height, h, index = 0, leaf, self.size
        while self.stack and self.stack[-1][0] == height:
            _, left = self.stack.pop()
            h, height, index = merkle.node_hash(left, h), height + 1, index >> 1
            if self.on_node is not None:
                self.on_node(height, index, h)
        self.stack.append((height, h))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return merkle.EMPTY_ROOT
        h = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            h = merkle.node_hash(left, h)
        return h


def _events(store: EventStore) -> Iterator[Notification]:
    start = 1
    while page := store.notifications(start, PAGE):
        yield from page
        start = page[-1].id + 1


def _leaves(log: MerkleLog) -> Iterator[StoredLeaf]:
    start = 0
    while True:
        rows = log.leaf_rows(start, PAGE)
        yield from rows
        if len(rows) < PAGE:
            return
        start = rows[-1].leaf_index + 1


def log_audit_report(
    log: MerkleLog,
    verifier: NoteVerifier | None,
    *,
    witness: WitnessView | None = None,
    progress: Callable[[int], None] | None = None,
    recompute_nodes: bool = True,
) -> LogAuditReport:
    """The log half of the audit; ``recompute_nodes=False`` leaves the stored interior nodes
    unchecked (only to measure what checking them costs: ``benchmarks.audit_nodes``)."""
    report = LogAuditReport()
    fail = report.failures.append
    try:
        stored = log.checkpoints()
    except (LedgerError, ValueError) as e:
        if isinstance(e, StoreError):
            raise  # the database is unreachable: not a finding about its rows
        fail(f"a stored checkpoint row cannot be read: {e}")
        return report
    report.checkpoints = len(stored)
    wanted = {cp.size: cp for cp in stored}
    if witness is not None:
        wanted.setdefault(witness.size, StoredCheckpoint(witness.size, witness.root, "", _EPOCH))
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
    nodes = NodeCheck(log)
    compact = CompactRange(nodes.node if recompute_nodes else None)
    events = _events(log.store)
    pending_event: Notification | None = next(events, None)
    expected_index = 0
    for row in _leaves(log):
        index, position = row.leaf_index, row.position
        where = f"leaf {index} ({row.stream} version {row.version}, position {position})"
        if index != expected_index:
            fail(f"the log has a hole: leaf {expected_index} is missing before leaf {index}")
            return report
        while pending_event is not None and pending_event.id < position:
            fail(
                f"event {pending_event.originator_id} version {pending_event.originator_version} "
                f"(position {pending_event.id}) is not in the log: inserted into the log's past"
            )
            return report
        if pending_event is None or pending_event.id != position:
            fail(f"{where}: its event is gone from the store (deleted)")
            return report
        event, pending_event = pending_event, next(events, None)
        if (str(event.originator_id), event.originator_version) != (row.stream, row.version):
            fail(
                f"{where}: the store holds {event.originator_id} v{event.originator_version} there"
            )
            return report
        recomputed = merkle.leaf_hash(event.state)
        if recomputed != row.leaf_hash:
            fail(f"{where}: the stored event's bytes are not the bytes the log committed to")
            return report
        compact.append(recomputed)
        expected_index += 1
        if expected_index in wanted:
            roots[expected_index] = compact.root()
        if progress is not None and expected_index % PAGE == 0:
            progress(expected_index)
    report.leaves = expected_index
    if recompute_nodes and (finding := nodes.finish(expected_index)) is not None:
        fail(finding)
    while pending_event is not None:
        report.pending += 1
        pending_event = next(events, None)
    _check_checkpoints(log, verifier, stored, roots, report)
    if witness is not None:
        _check_witness(witness, roots, report)
    return report


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _check_checkpoints(
    log: MerkleLog,
    verifier: NoteVerifier | None,
    stored: list[StoredCheckpoint],
    roots: dict[int, bytes],
    report: LogAuditReport,
) -> None:
    fail = report.failures.append
    if stored and verifier is None:
        fail("no log verifier key is configured: checkpoints cannot be trusted")
        return
    previous: StoredCheckpoint | None = None
    for cp in stored:
        try:
            assert verifier is not None
            signed = log.verified_checkpoint(cp, verifier)
        except (VerificationError, ValueError) as e:
            fail(f"checkpoint of size {cp.size}: its signed note does not verify: {e}")
            return
        except LedgerError as e:  # the row's size or root is not what its note signed
            fail(f"{e}: the row was edited after signing")
            return
        if cp.size > report.leaves:
            fail(
                f"checkpoint of size {cp.size} is beyond the log's {report.leaves} leaves: "
                "the log was rolled back or truncated"
            )
            return
        if roots.get(cp.size) != signed.root:
            fail(f"checkpoint of size {cp.size}: the root recomputed from the entries differs")
            return
        if previous is not None:
            try:
                proof = log.consistency_proof(previous.size, cp.size)
                merkle.verify_consistency(previous.size, cp.size, proof, previous.root, cp.root)
            except (VerificationError, ValueError, LedgerError) as e:
                if isinstance(e, StoreError):
                    raise
                fail(f"checkpoint {previous.size} is not consistent with checkpoint {cp.size}: {e}")
                return
        previous = cp
        report.latest_size = cp.size


def _check_witness(witness: WitnessView, roots: dict[int, bytes], report: LogAuditReport) -> None:
    report.witness_checked = True
    if witness.size > report.leaves or witness.size > report.latest_size:
        report.failures.append(
            f"rollback: a witness cosigned a tree of size {witness.size}, but this log's latest "
            f"checkpoint has size {report.latest_size} ({report.leaves} leaves)"
        )
    elif roots.get(witness.size) != witness.root:
        report.failures.append(
            f"split view: the witness cosigned a different tree of size {witness.size} "
            "than the one these entries make"
        )


def load_witness_view(state_path: Path, origin: str) -> WitnessView:
    """What the witness cosigned last for ``origin``, for ``full_audit_report(witness=...)``."""
    state = WitnessState.load(state_path)
    record = state.logs.get(origin)
    if record is None:
        known = ", ".join(sorted(state.logs)) or "none"
        raise WitnessError(f"{state_path}: the witness does not follow log {origin!r} ({known})")
    if record.size == 0:
        raise WitnessError(f"{state_path}: the witness has cosigned no checkpoint of {origin!r}")
    return WitnessView(record.size, record.root)


def require_events(events: int, report: LogAuditReport) -> None:
    """An audit of nothing fails (issue 15, point 8): every ledger holds at least the key
    registry's establishment, written by ``hoso init``, so a store where the audit verified no
    event is a wrong database or one whose events were deleted, never a clean ledger."""
    if events > 0:
        return
    if report.leaves or report.checkpoints:
        report.failures.append(
            f"the audit verified no event, but the log holds {report.leaves} leaves and "
            f"{report.checkpoints} signed checkpoints: the events were deleted"
        )
    else:
        report.failures.append(
            "the audit verified no event: the store holds not even the key registry that "
            "`hoso init` establishes (a wrong database, or its events were deleted)"
        )
