"""Compiles gettext catalogs (``.po`` to ``.mo``) with Babel, so a fresh machine needs no system
gettext. Compiled files are build output and stay out of git."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)
PACKAGE_DIR = Path(__file__).resolve().parent


def compile_catalogs(root: Path = PACKAGE_DIR) -> int:
    """Compile every ``locale/*/LC_MESSAGES/*.po`` under ``root`` whose ``.mo`` is missing or
    older. Returns how many were written."""
    written = 0
    for po_path in root.glob("**/locale/*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        # A name of this process's own: workers (or test runs) starting together on a fresh
        # checkout each write a whole file and swap it in, never into one another's half-file.
        tmp_path = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.tmp")
        with tmp_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        tmp_path.replace(mo_path)
        written += 1
    return written
