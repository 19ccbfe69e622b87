"""Rich renderings for the CLI: progress bars, the process control slip, the demo summary."""

from __future__ import annotations

import shlex
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from domain.calendar import VN_TZ, WorkingCalendar
from domain.deadlines import classify
from domain.procedures import CATALOGUE
from ledger.audit.full import FullAuditReport
from ledger.chain.personal import PersonalData
from ledger.chain.sealed_text import SecretOf, reveal, reveal_all
from ledger.chain.service import VerifiedFile
from projections.d766.scorecard import ScoreCard
from projections.queries.figures import render_days
from projections.queries.summary import CentreSummary
from signing.registry import KeyRegistry

ACTIONS_VI = {
    "FileReceived": "Tiếp nhận",
    "FileNotAccepted": "Từ chối tiếp nhận",
    "FileHandedOff": "Chuyển xử lý",
    "HandoffAcknowledged": "Xác nhận nhận hồ sơ",
    "SupplementRequested": "Yêu cầu bổ sung",
    "SupplementReceived": "Nhận bổ sung",
    "FeeRequested": "Yêu cầu nộp phí",
    "FeePaid": "Đã nộp phí",
    "SubmittedForSignature": "Trình ký",
    "ResultSigned": "Ký duyệt",
    "ResultReturned": "Trả kết quả",
    "FileRefused": "Từ chối",
    "FileWithdrawn": "Rút hồ sơ",
    "ProcessingStopped": "Dừng xử lý",
    "ApologyIssued": "Xin lỗi, hẹn lại",
    "SatisfactionRated": "Đánh giá",
    "PinReissued": "Cấp lại mã tra cứu",
}
TIMELINESS_STYLE = {"early": "green", "on_time": "cyan", "late": "red"}
NARROW = 120  # columns: below, a slip row stacks its action, giver → receiver and note


def progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def local(at: datetime) -> str:
    return at.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M")


def _desk(d: dict[str, str]) -> str:
    return f"{d['officer'] or '(inbox)'} · {d['department']} · {d['agency']}"


def _detail(env_type: str, payload: dict[str, Any], secret_of: SecretOf) -> tuple[str, str]:
    """(giver -> receiver, note) for one slip row; free text in clear until the applicant is
    forgotten (``[erased]`` after)."""

    def text(key: str) -> str:
        return reveal(str(payload[key]), secret_of) or ""

    if env_type == "FileHandedOff":
        return f"{_desk(payload['from_desk'])} → {_desk(payload['to_desk'])}", text("note")
    if env_type == "FileReceived":
        papers = len(payload["documents"])
        return f"counter {payload['counter']} ({payload['channel']})", f"{papers} papers"
    if env_type == "SubmittedForSignature":
        return f"→ {payload['leader']}", ""
    if env_type in ("SupplementRequested", "SupplementReceived"):
        return "", "; ".join(reveal_all(payload["items"], secret_of))
    if env_type == "ApologyIssued":
        return "", f"{text('reason')} (new date {payload['new_appointment_at'][:10]})"
    if env_type in ("FeeRequested", "FeePaid"):
        return "", f"{payload['amount_vnd']:,} VND"
    if "reason" in payload:
        return "", text("reason")[:24]
    for key in ("method", "rating", "document_sha256"):
        if key in payload:
            return "", str(payload[key])[:24]
    return "", ""


def file_slip(
    console: Console,
    verified: VerifiedFile,
    person: PersonalData,
    cal: WorkingCalendar,
    now: datetime,
    secret_of: SecretOf,
) -> None:
    f = verified.file
    proc = CATALOGUE.get(f.procedure)
    title = proc.name_vi if proc else f.procedure
    console.print(f"[bold]Hồ sơ {escape(f.id)}[/] — {escape(title)}")
    head = Table.grid(padding=(0, 2))
    head.add_row("State", f.state.value, "Channel", f.channel)
    head.add_row("Received", local(f.received_at), "Statutory time", f.statutory.describe_en())
    head.add_row("Due", local(f.due_at), "Appointment", local(f.appointment_at))
    verdict = f.timeliness or ("OVERDUE" if f.overdue(now) else "open")
    if f.state.value == "not_accepted":  # never received: no deadline ran
        verdict = "not accepted"
    head.add_row("Holder", escape(f.holder.describe()), "Timeliness", verdict)
    head.add_row(
        "Applicant",
        escape(f"{person.full_name} ({f.applicant_ref})"),
        "ID",
        escape(person.id_number),
    )
    console.print(head)
    narrow = console.width < NARROW
    slip = Table(title="Phiếu kiểm soát quá trình giải quyết hồ sơ (process control slip)")
    slip.add_column("#", no_wrap=True, justify="right")
    slip.add_column("Time", min_width=10)  # the day whole; the hour under it when narrow
    middle = ["Action, giver → receiver, note"]
    if not narrow:
        middle = ["Action", "Giver → receiver", "Note"]
    for col in middle:
        slip.add_column(col, overflow="fold")
    for col in ("Actor", "vs due", "Chain"):  # names and hashes whole: they are looked up
        slip.add_column(col, no_wrap=True)
    due = f.received_at
    for env in verified.envelopes:
        at = env.occurred_at
        if env.type == "FileReceived":
            due = datetime.fromisoformat(env.payload["due_at"].replace("Z", "+00:00"))
        if env.type == "SupplementReceived":
            due = datetime.fromisoformat(env.payload["new_due_at"].replace("Z", "+00:00"))
        status = classify(cal, at, due).value
        moves, note = (escape(text) for text in _detail(env.type, env.payload, secret_of))
        action = escape(ACTIONS_VI.get(env.type, env.type))
        what = (["\n".join(x for x in (action, moves, note) if x)] if narrow
                else [action, moves, note])  # fmt: skip
        when = local(at)
        slip.add_row(
            str(env.version),
            when.replace(" ", "\n") if narrow else when,
            *what,
            escape(env.actor),
            f"[{TIMELINESS_STYLE[status]}]{status}[/]",
            env.hash()[:10],
        )
    console.print(slip)
    console.print(
        f"[green]✓[/] {len(verified.envelopes)} events: "
        "every signature, key and chain link verified."
    )


def audit_result(console: Console, errors: Console, report: FullAuditReport) -> None:
    chain, log = report.chain, report.log
    if report.ok:
        console.print(
            f"[green]✓ audit passed[/]: verified {chain.events} events "
            f"({chain.files} files, {chain.registry_events} key-registry events): "
            f"{chain.signatures} signatures, every key valid at its time, every chain unbroken."
        )
        if report.rules is not None:
            console.print(
                f"[green]✓ rules[/]: {report.rules.files} files replayed through the procedure's "
                f"rules; every one of their {report.rules.events} events is a legal step in time."
            )
        witness = " and with what the witness cosigned" if log.witness_checked else ""
        console.print(
            f"[green]✓ log[/]: {log.leaves} leaves cover the events in order with no hole "
            f"({log.pending} not yet integrated); {log.checkpoints} checkpoints signed, "
            f"recomputed from the entries and consistent with each other{witness}."
        )
        return
    for failure in report.failures:
        errors.print(f"[red]✗ audit FAILED[/] {escape(failure)}", highlight=False)
    events = (
        f"all {chain.events} events verified"
        if chain.ok
        else f"{chain.events} events verified before the first broken one"
    )
    errors.print(f"({events}; {log.leaves} log leaves checked)", highlight=False)


def key_table(console: Console, registry: KeyRegistry) -> None:
    table = Table(title="Key registry")
    table.add_column("Key id", no_wrap=True)  # whole: `hoso keys revoke` takes it
    for col in ("Holder", "Role", "Unit", "Valid from", "Revoked"):
        table.add_column(col, overflow="fold")
    for r in sorted(registry.keys.values(), key=lambda r: (r.unit, r.holder)):
        revoked = local(r.revoked_at) + f" ({r.revoke_reason})" if r.revoked_at else ""
        table.add_row(
            r.key_id[:16],
            escape(r.holder),
            r.role.value,
            escape(r.unit),
            local(r.valid_from),
            escape(revoked),
        )
    console.print(table)


def demo_summary(
    console: Console,
    s: CentreSummary,
    *,
    days: list[date],
    elapsed: float,
    stats: Any,
) -> None:
    console.print()
    console.print(
        f"[bold]Phường Ba Đình one-stop centre[/] — {len(days)} working days "
        f"({days[0]} to {days[-1]})"
    )
    rate = s.events / elapsed if elapsed > 0 else 0.0
    console.print(
        f"{s.files} files received, {s.events} signed events "
        f"in {elapsed:.1f} s ({rate:,.0f} events/s)"
    )
    procs = Table(title="Files by procedure")
    procs.add_column("Procedure")
    procs.add_column("Files", justify="right")
    for code, n in s.by_procedure.most_common():
        procs.add_row(CATALOGUE[code].name_vi if code in CATALOGUE else code, str(n))
    console.print(procs)
    outcome = Table(title="Outcomes")
    outcome.add_column("What")
    outcome.add_column("Count", justify="right")
    returned = sum(s.by_timeliness.values())
    for key in ("early", "on_time", "late"):
        n = s.by_timeliness.get(key, 0)
        share = f" ({100 * n / returned:.1f}%)" if returned else ""
        outcome.add_row(f"processing ended {key.replace('_', ' ')}", f"{n}{share}")
    for state in ("in_progress", "received", "awaiting_supplement", "awaiting_signature", "signed"):
        outcome.add_row(f"open: {state.replace('_', ' ')}", str(s.by_state.get(state, 0)))
    outcome.add_row("open and overdue at close of the last day", str(s.overdue_open))
    for state in ("refused", "withdrawn", "stopped"):
        outcome.add_row(f"{state} after acceptance", str(s.by_state.get(state, 0)))
    outcome.add_row("not accepted at the counter", str(s.by_state.get("not_accepted", 0)))
    outcome.add_row("supplements requested", str(s.supplements))
    outcome.add_row("apologies issued", str(s.apologies))
    outcome.add_row("handoffs", str(s.handoffs))
    online = s.by_channel.get("online", 0)
    outcome.add_row("filed online", f"{online} ({100 * online / max(1, s.files):.1f}%)")
    rated = sum(s.by_rating.values())
    sat = s.by_rating.get("satisfied", 0)
    outcome.add_row("satisfied ratings", f"{sat} of {rated}")
    outcome.add_row("fees collected", f"{s.fees_paid_vnd:,} VND")
    console.print(outcome)
    if stats is not None and stats.samples:
        console.print("Sample receipts (code / PIN):")
        for r in stats.samples:
            console.print(f"  {escape(r.code)}  PIN {r.pin}  applicant {r.applicant_ref}")


def copyable(console: Console, line: str) -> None:
    """A line to copy (a key, a path, a command): printed as it is, never wrapped by us, so it
    stays one line in a pipe and in a terminal's copy."""
    console.print(escape(line), soft_wrap=True, highlight=False)


def demo_ending(
    console: Console,
    *,
    program: str,
    data: Path,
    sample: str | None,
    log_vkey: str | None,
    credentials: Path,
) -> None:
    """The demo's last lines: the log's verifier key and the credentials file, each on a line of
    its own, and the commands to run next as this user can run them (``program``)."""
    if log_vkey:
        console.print(
            f"The log's verifier key (for `verify --log-key`; `{escape(program)} log key` "
            "prints it again):"
        )
        copyable(console, log_vkey)
    console.print(
        "API tokens (officer, leader, unit admin, integration, inspector), sample codes and "
        "PINs (mode 0600):"
    )
    copyable(console, f"  {credentials}")
    console.print("Next: a file's process control slip, then re-verify the whole ledger:")
    at = shlex.quote(str(data))
    if sample is not None:
        copyable(console, f"  {program} file show {shlex.quote(sample)} --data {at}")
    copyable(console, f"  {program} audit --data {at}")


def score_table(card: ScoreCard, title: str) -> Table:
    """Each Decision 766 indicator: its value, its points out of its maximum, or why it is not
    captured; the total of the captured ones at the foot."""
    t = Table(title=title, show_footer=True)
    t.add_column("No.", footer="")
    t.add_column("Indicator", footer="[bold]total of the captured indicators[/]")
    t.add_column("Value", justify="right", footer="")
    t.add_column(
        "Points", justify="right", footer=f"[bold]{render_days(card.total)} / {card.attainable}[/]"
    )
    for i in card.indicators:
        if not i.captured:
            t.add_row(i.code, f"[dim]{escape(i.name_en)}[/]", "[dim]not captured[/]",
                      f"[dim]— / {i.max_points}[/]")  # fmt: skip
            continue
        value = i.shown
        if i.numerator is not None and i.denominator:
            value = f"{value} ({i.numerator}/{i.denominator})"
        scored = "no points" if i.max_points is None else (
            f"{render_days(i.points) if i.points is not None else '—'} / {i.max_points}"
        )  # fmt: skip
        name = escape(i.name_en) + (f" [dim]({escape(i.note)})[/]" if i.note else "")
        t.add_row(i.code, name, value, scored)
    return t
