"""``hoso token``: the HTTP API's bearer tokens (create, list, revoke), and the demo's credentials.

A token is shown once, when it is created; the database keeps only its SHA-256 hash (see
``api.http.auth``). Officer, leader and unit-administrator tokens go only to actors who hold a valid
key for that role and unit in the key registry: the token says who may call, the key signs what
they do. Inspectors and integration clients need no key (an integration client submits envelopes
already signed with its officers' keys).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.bootstrap import open_ledger
from api.cli.render import local
from api.settings import DEFAULT_DATA, Settings, load_settings
from api.tokens import ApiRole, IssuedToken, create_token, ensure_table, revoke_token
from ledger.chain.service import Ledger, Receipt
from ledger.encoding.canonical import format_instant, parse_instant
from ledger.errors import PermissionRefused
from ledger.store.tokens import TokenRepository
from signing import b64
from signing.registry import Role

out = Console()
token_app = typer.Typer(help="Bearer tokens for the HTTP API.", no_args_is_help=True)
DataOpt = Annotated[Path, typer.Option("--data", help="Data directory.")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (postgresql://...).")]

CREDENTIALS_NAME = "demo-credentials.json"
CREDENTIALS_FORMAT = "hoso-demo-credentials/1"
# The registry role an actor must hold (in the token's unit) to get a token of this API role.
KEY_ROLES: dict[ApiRole, Role] = {
    ApiRole.OFFICER: Role.OFFICER,
    ApiRole.LEADER: Role.LEADER,
    ApiRole.UNIT_ADMIN: Role.UNIT_ADMIN,
}
DEMO_INTEGRATION = "tinh-igate"
DEMO_INSPECTOR = "thanhtra"


def issue(
    ledger: Ledger,
    *,
    actor: str,
    role: ApiRole,
    unit: str,
    serves: Sequence[str] = (),
    now: datetime,
    keys_at: datetime | None = None,
) -> IssuedToken:
    """Check the actor may hold ``role`` for ``unit`` (registry at ``keys_at``, default ``now``),
    then create the token. Raises ``PermissionRefused`` (one line on the CLI) otherwise."""
    if serves and role is not ApiRole.INTEGRATION:
        raise PermissionRefused(
            f"--serves is for integration clients only, not for a {role.value} token"
        )
    needed = KEY_ROLES.get(role)
    if needed is not None:
        registry = ledger.registry()
        at = keys_at or now
        allowed = (
            registry.can_administer(actor, unit, at)
            if needed is Role.UNIT_ADMIN
            else registry.holds(actor, needed, unit, at)
        )
        if not allowed:
            raise PermissionRefused(
                f"{actor} holds no valid {needed.value} key for unit {unit}: register one with "
                f"`hoso keys add {actor} --role {needed.value} --unit {unit}` first"
            )
    return create_token(ledger.store, actor=actor, role=role, unit=unit, units=serves, now=now)


@token_app.command("create")
def token_create(
    actor: Annotated[str, typer.Option(help="The actor id the token is bound to.")],
    role: Annotated[ApiRole, typer.Option(help="What the token may do.")],
    unit: Annotated[str, typer.Option(help="The actor's unit code.")],
    serves: Annotated[
        list[str] | None,
        typer.Option("--serves", help="Integration clients: another unit served (repeatable)."),
    ] = None,
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """Issue a token and print it once (its last line); only its hash is stored."""
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    try:
        issued = issue(
            ledger, actor=actor, role=role, unit=unit, serves=serves or (), now=datetime.now(UTC)
        )
    finally:
        ledger.store.close()
    p = issued.principal
    typer.echo(
        f"Token {p.token_id} for {p.actor} ({p.role.value}, units {', '.join(sorted(p.units))}); "
        "it is shown only now and cannot be recovered:"
    )
    typer.echo(issued.token)


@token_app.command("list")
def token_list(data: DataOpt = DEFAULT_DATA, db: DbOpt = None) -> None:
    """List tokens: id, actor, role, units, created, revoked (never a token or its hash)."""
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    try:
        ensure_table(ledger.store)
        rows = TokenRepository(ledger.store).all()
    finally:
        ledger.store.close()
    table = Table(title="API tokens")
    table.add_column("Token id", no_wrap=True, min_width=16)  # never cut: `revoke` needs it
    table.add_column("Actor", overflow="fold")
    table.add_column("Role", no_wrap=True)  # a word of its own, "unit_admin"
    for col in ("Unit(s)", "Created", "Revoked"):  # the times wrap between day and hour
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r.token_id,
            escape(r.actor),
            r.role,
            escape(", ".join(orjson.loads(r.units))),
            local(parse_instant(r.created_at)),
            local(parse_instant(r.revoked_at)) if r.revoked_at else "",
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token id (see `hoso token list`).")],
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """Revoke a token from now on: requests bearing it get 401."""
    settings = load_settings(data, db)
    ledger = open_ledger(settings, existing=True)
    at = datetime.now(UTC)
    try:
        revoke_token(ledger.store, token_id, now=at)
    finally:
        ledger.store.close()
    typer.echo(f"Revoked token {token_id} at {local(at)}")


def write_demo_credentials(
    settings: Settings,
    ledger: Ledger,
    samples: Sequence[Receipt],
    path: Path,
    *,
    now: datetime | None = None,
    keys_at: datetime | None = None,
) -> dict[str, Any]:
    """Issue the demo's five tokens and write them, with sample receipts, to ``path`` (0600).

    Keys of the JSON document:
    - ``format``: ``hoso-demo-credentials/1``; ``origin``: the ledger's name; ``unit``: the
      demo centre's unit code; ``api``: how to use a token (``Authorization: Bearer <token>``).
    - ``log_vkey``: the Merkle log's verifier key (for ``hoso verify --log-key``);
      ``authority_public_key``: the key registry's root key (base64).
    - ``tokens``: one entry per role (``officer``, ``leader``, ``unit_admin``, ``integration``,
      ``inspector``), each ``{token, token_id, actor, role, unit, units}``.
    - ``samples``: receipts as the counter prints them, ``{code, pin, appointment_at}``.

    ``keys_at``: the instant at which the demo staff's keys are checked (the simulated time);
    ``now``: when the tokens are created (default: the wall clock).
    """
    from api.cli import demo

    created = now or datetime.now(UTC)
    s = demo.staff()
    wanted: list[tuple[str, ApiRole, str, tuple[str, ...]]] = [
        (s.counters[0], ApiRole.OFFICER, demo.UNIT, ()),
        (s.leaders[0], ApiRole.LEADER, demo.UNIT, ()),
        (s.admin, ApiRole.UNIT_ADMIN, demo.UNIT, ()),
        (DEMO_INTEGRATION, ApiRole.INTEGRATION, demo.UNIT, ()),
        (DEMO_INSPECTOR, ApiRole.INSPECTOR, demo.UNIT, ()),
    ]
    tokens: dict[str, dict[str, Any]] = {}
    for actor, role, unit, serves in wanted:
        issued = issue(
            ledger, actor=actor, role=role, unit=unit, serves=serves, now=created, keys_at=keys_at
        )
        p = issued.principal
        tokens[role.value] = {
            "token": issued.token,
            "token_id": p.token_id,
            "actor": p.actor,
            "role": p.role.value,
            "unit": p.unit,
            "units": sorted(p.units),
        }
    doc: dict[str, Any] = {
        "format": CREDENTIALS_FORMAT,
        "origin": settings.origin,
        "unit": demo.UNIT,
        "api": "send a token as `Authorization: Bearer <token>`; revoke with `hoso token revoke`",
        "log_vkey": settings.log_vkey,
        "authority_public_key": b64(settings.authority_key),
        "tokens": tokens,
        "samples": [
            {"code": r.code, "pin": r.pin, "appointment_at": format_instant(r.appointment_at)}
            for r in samples
        ],
    }
    _write_private(path, orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    return doc


def _write_private(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` readable by its owner only (mode 0600, even if it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(content)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
