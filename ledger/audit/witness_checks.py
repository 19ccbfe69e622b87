"""The witness half of the audit (kiểm tra bên chứng kiến): did a witness outside our control
cosign the latest checkpoint, and do the cosignatures we store verify?

Someone holding an officer's key and the log's key can re-sign an event, rebuild the log tables
and sign new checkpoints: every signature, chain and checkpoint then verifies, and only a witness
that cosigned the earlier tree can tell. So the audit says so loudly when no named witness
cosigned the latest checkpoint (UNWITNESSED), and fails then if the inspector requires a witness.
Every stored cosignature line by a named witness must verify over its checkpoint's body: one that
does not (a checkpoint re-signed under a line cosigned for another tree) is a finding.

Which witnesses count is the caller's choice: the inspector's own ``--witness`` keys, or else the
witnesses configured for the ledger. Uses ``ledger.witness.policy`` for the counting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.log.storage import MerkleLog
from ledger.witness.policy import WitnessPolicy, tally_note
from signing.errors import VerificationError


@dataclass
class WitnessAuditReport:
    """What the audit found about witnesses; ``unwitnessed`` is a warning unless required."""

    witnesses: tuple[str, ...] = ()  # the names of the witnesses checked against
    latest_size: int | None = None
    cosigners: tuple[str, ...] = ()  # named witnesses that validly cosigned the latest checkpoint
    stored_lines: int = 0  # stored cosignature lines checked, of every checkpoint
    required: bool = False
    findings: list[str] = field(default_factory=list)

    @property
    def unwitnessed(self) -> bool:
        return not self.cosigners

    @property
    def warning(self) -> str | None:
        """The loud sentence when nothing outside can exclude a rewrite, else None."""
        if not self.unwitnessed:
            return None
        if not self.witnesses:
            why = "no witness is configured or given (--witness)"
        elif self.latest_size is None:
            why = "the log has no checkpoint"
        else:
            why = (
                f"none of the witnesses ({', '.join(self.witnesses)}) cosigned the latest "
                f"checkpoint (size {self.latest_size})"
            )
        return (
            f"UNWITNESSED: {why}; nothing outside this server can exclude a rewrite of the log "
            "by someone holding the log's key"
        )

    @property
    def failures(self) -> list[str]:
        found = list(self.findings)
        if self.required and self.warning is not None:
            found.append(self.warning + " (a witness is required)")
        return found

    @property
    def ok(self) -> bool:
        return not self.failures


def witness_audit_report(
    log: MerkleLog, policy: WitnessPolicy, *, required: bool = False
) -> WitnessAuditReport:
    """Check every stored cosignature by the policy's witnesses and who cosigned the latest."""
    report = WitnessAuditReport(
        witnesses=tuple(w.name for w in policy.witnesses), required=required
    )
    stored = log.checkpoints()
    if not stored:
        return report
    origin_names = {log.origin}
    latest = max(stored, key=lambda cp: cp.size)
    report.latest_size = latest.size
    for cp in stored:
        try:
            tally = tally_note(log.cosigned_note(cp.size), policy.witnesses)
        except VerificationError as e:
            report.findings.append(
                f"checkpoint of size {cp.size}: its stored note is malformed: {e}"
            )
            continue
        report.stored_lines += tally.count + len(tally.invalid)
        report.stored_lines += sum(1 for name in tally.unknown if name not in origin_names)
        report.findings.extend(
            f"checkpoint of size {cp.size}: {finding}" for finding in tally.invalid
        )
        if cp.size == latest.size:
            report.cosigners = tally.names
    return report
