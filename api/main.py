"""The ``hoso`` program: the CLI's commands (``api.cli``) and the commands that start servers
(``api.serve``), assembled here, so that ``api.cli`` and ``api.http`` never import each other."""

from __future__ import annotations

from api import serve
from api.cli import main as cli
from api.cli.witness import witness_app

serve.register(cli.app, witness_app)


def main() -> None:
    """Entry point of ``hoso``: every failure one line and a non-zero exit code."""
    cli.main()


if __name__ == "__main__":
    main()
