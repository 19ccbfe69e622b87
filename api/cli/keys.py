"""``hoso keys``: the key registry (list, add, revoke), each change signed by an administrator."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from api.bootstrap import AUTHORITY
from api.cli import render
from api.cli.base import DataOpt, DbOpt, now, opened, out
from api.errors import CliError
from api.settings import DEFAULT_DATA
from domain.calendar import VN_TZ
from signing import KeyDirectory
from signing.registry import Role

keys_app = typer.Typer(help="The key registry.", no_args_is_help=True)


@keys_app.command("list")
def keys_list(data: DataOpt = DEFAULT_DATA, db: DbOpt = None) -> None:
    """List every registered key with its holder, role, unit and validity."""
    with opened(data, db) as (_settings, ledger):
        render.key_table(out, ledger.registry())


@keys_app.command("add")
def keys_add(
    holder: Annotated[str, typer.Argument(help="Who will hold the key (actor id).")],
    role: Annotated[Role, typer.Option(help="The holder's role.")],
    unit: Annotated[str, typer.Option(help="The holder's unit code.")],
    by: Annotated[
        str, typer.Option("--as", help="The administrator who registers it.")
    ] = AUTHORITY,
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """Create a key file DATA/keys/HOLDER.pem (mode 0600) and register it, signed by --as."""
    with opened(data, db) as (settings, ledger):
        keys = KeyDirectory(settings.keys_dir)
        admin = keys.signer(by)
        new = keys.signer(holder) if keys.exists(holder) else keys.create(holder)
        at = now()
        kid = ledger.register_key(
            signer=admin,
            actor=by,
            holder=holder,
            role=role,
            unit=unit,
            public_key=new.public_key,
            valid_from=at,
            at=at,
        )
    out.print(
        f"Registered key {kid} for {escape(holder)} ({role.value}, unit {escape(unit)}), "
        f"signed by {escape(by)}"
    )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (see `hoso keys list`).")],
    reason: Annotated[str, typer.Option(help="Why (lost device, left the unit...).")],
    by: Annotated[str, typer.Option("--as", help="The administrator who revokes it.")] = AUTHORITY,
    data: DataOpt = DEFAULT_DATA,
    db: DbOpt = None,
) -> None:
    """Revoke a key from now on (never retroactively): it stays valid for what it signed before."""
    with opened(data, db) as (settings, ledger):
        registry = ledger.registry()
        matches = [k for k in registry.keys if k.startswith(key_id)]
        if not matches:
            raise CliError(
                f"no key id starts with {key_id!r}: `hoso keys list` shows them (a key id, not "
                "its holder's name)"
            )
        if len(matches) > 1:
            raise CliError(f"key id {key_id!r} matches {len(matches)} keys; give more of it")
        admin = KeyDirectory(settings.keys_dir).signer(by)
        at = now()
        ledger.revoke_key(
            signer=admin, actor=by, kid=matches[0], effective_at=at, reason=reason, at=at
        )
    out.print(f"Revoked key {matches[0]} from {local_now()}: {escape(reason)}")


def local_now() -> str:
    return now().astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
