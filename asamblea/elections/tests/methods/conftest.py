"""Shared helpers for the counting-method tests (no database, no Django)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from asamblea.elections.methods.blt import BltElection, read_blt

#: The 1,100 Scottish ward elections (BLT files) live beside the repository, in
#: ``../shared/data/scotland-stv``; ``ASAMBLEA_SCOTLAND_STV`` points elsewhere.
_DEFAULT_DATA = Path(__file__).resolve().parents[4].parent / "shared/data/scotland-stv"
SCOTLAND_STV = Path(os.environ.get("ASAMBLEA_SCOTLAND_STV", _DEFAULT_DATA))


def no_ward_data(what: str) -> None:
    """The shared data is beside every checkout CI makes: missing there, it is a failure."""
    message = f"{what}: Scottish ward data not found under {SCOTLAND_STV}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def scottish_ward(name: str) -> BltElection:
    """Read one ward file by its base name, e.g. ``highland_2021_by_election_wick``."""
    matches = sorted(SCOTLAND_STV.glob(f"*/{name}.blt"))
    if not matches:
        no_ward_data(name)
    return read_blt(matches[0])


def candidate(election: BltElection, surname: str) -> int:
    """The number of the one candidate whose name contains ``surname`` (case-insensitive)."""
    found = [i for i, name in enumerate(election.candidates) if surname.lower() in name.lower()]
    assert len(found) == 1, f"{surname!r} matches {found} in {election.candidates}"
    return found[0]
