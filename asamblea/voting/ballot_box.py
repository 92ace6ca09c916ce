"""The ballot box shared by yes/no polls and elections: receipt codes, and what closing does to
a secret box.

Both keep who took part (a snapshot row per voter with a ``voted`` flag) apart from what was
chosen (ballot rows with a random id, no voter, no timestamp). At closing, a secret box is
rewritten so that neither ids, physical order nor transaction stamps follow the order of
voting (docs/secret-ballots.md); a voter checks their ballot with the receipt code.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from asamblea.errors import Refused
from asamblea.voting.casting import RECEIPT_BYTES, hash_receipt

M = TypeVar("M", bound=Model)


def shuffle_ballots(ballots: QuerySet[M], fields: Sequence[str]) -> None:
    """Rewrite ``ballots`` in random order with fresh random ids, so that neither ids nor
    physical row order reflect the order in which they were cast. ``fields`` are the columns
    kept (the owner's ``<x>_id`` among them); the caller holds the owner's row lock."""
    model = ballots.model
    rows = list(ballots.values(*fields))
    random.SystemRandom().shuffle(rows)
    ballots.delete()
    model._default_manager.bulk_create([model(**row) for row in rows], batch_size=2000)


def rewrite_electorate(snapshot: QuerySet[M], owner: str) -> None:
    """Rewrite an electorate snapshot in person order, keeping its ids.

    On PostgreSQL every flag flip wrote a new row version where there was room, stamped with
    the casting transaction's id: the physical order (``ctid``) and ``xmin`` of the snapshot
    followed the order of voting. Rewritten by the closing transaction in person order, every
    row carries that one ``xmin`` (shared with the shuffled ballots) and sits in person order.
    The old versions stay as dead rows until VACUUM (docs/secret-ballots.md, residual risks).
    ``owner`` is the snapshot's column naming its poll or election (``poll_id``).
    """
    model = snapshot.model
    rows = list(snapshot.order_by("person_id").values("id", owner, "person_id", "weight", "voted"))
    snapshot.delete()
    model._default_manager.bulk_create([model(**row) for row in rows], batch_size=2000)


def receipt_ballot(ballots: QuerySet[M], code: str, unknown: Any) -> M:
    """The ballot among ``ballots`` whose receipt code is ``code``. Refuses a malformed code,
    and an unknown one with the message ``unknown``."""
    code = (code or "").strip().lower()
    if len(code) != RECEIPT_BYTES * 2 or any(c not in "0123456789abcdef" for c in code):
        raise Refused(_("This receipt code is not valid."), code="bad_receipt")
    ballot = ballots.filter(receipt_hash=hash_receipt(code)).first()
    if ballot is None:
        raise Refused(unknown, code="unknown_receipt")
    return ballot
