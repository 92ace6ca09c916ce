"""How the logistics app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from asamblea.ledger.sentences import labels, sentences
from asamblea.logistics.models import Kind

labels("kind", dict(Kind.choices))
sentences(
    {
        "logistics.need_posted": _(
            "%(by)s posted a need on the coordination's board: %(kind)s, %(quantity)s."
        ),
        "logistics.offer_posted": _(
            "%(by)s posted an offer on the coordination's board: %(kind)s, %(quantity)s."
        ),
        "logistics.withdrawn": _("%(by)s withdrew a need or offer from the board."),
        "logistics.match_proposed": _(
            "%(by)s proposed to match a need and an offer: %(kind)s, %(quantity)s."
        ),
        "logistics.match_accepted": _("%(by)s accepted a match of a need and an offer."),
        "logistics.match_declined": _("%(by)s declined a proposed match."),
        "logistics.cancelled": _("%(by)s cancelled a match."),
        "logistics.details_shared": _(
            "%(by)s shared the exact details of a match with the other assembly."
        ),
        "logistics.details_erased": _(
            "The dates of a match have passed: its exact details were deleted."
        ),
        "logistics.trip_planned": _("A delegation's trip was planned (%(seats)s seats)."),
        "logistics.trip_changed": _("A delegation's trip was changed (%(seats)s seats)."),
        "logistics.travellers_erased": _("A delegation's trip is over: who travelled was erased."),
    }
)
