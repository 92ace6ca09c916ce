"""The ``asamblea`` command: a thin wrapper over Django's management commands.

``asamblea serve`` migrates, compiles the translation catalogs if needed, and serves over ASGI
with uvicorn; every other word is passed to ``manage.py`` (``asamblea demo``,
``asamblea migrate``, ``asamblea verify-ledger``, ...). ``asamblea count FILE.blt`` recounts a
ballot file without Django or a database (see ``asamblea.elections.methods.recount``).
``asamblea verify-election BOARD.json`` verifies a verifiable election's bulletin board from the
board alone, also without Django (see ``asamblea.verifiable.verifier``).
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "verify-ledger": "verify_ledger",
    "close-due": "close_due_polls",
    "reindex-publications": "reindex_publications",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
    if not argv:
        argv = ["help"]
    if argv[0] == "count":
        from asamblea.elections.methods.recount import main as count

        sys.exit(count(argv[1:]))
    if argv[0] == "verify-election":
        from asamblea.verifiable.verifier import main as verify_election

        sys.exit(verify_election(argv[1:]))
    argv[0] = ALIASES.get(argv[0], argv[0])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["asamblea", *argv])


if __name__ == "__main__":
    main()
