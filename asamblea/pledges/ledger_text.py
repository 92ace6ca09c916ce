"""How the pledges app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from asamblea.ledger.sentences import Reader, references, sentences
from asamblea.pledges.models import Pledge


def _pledges(ids: set[Any], reader: Reader) -> dict[Any, str]:
    rows = Pledge.objects.filter(pk__in=ids).values_list("pk", "title")
    return {pk: _g("“%(title)s”") % {"title": title} for pk, title in rows}


def _followup(values: Any, payload: Any) -> str:
    return (
        _g(
            "Follow-through of the pledge %(pledge)s: %(kept)s of %(commitments)s commitments "
            "were kept."
        )
        % values
    )


references(("pledge",), _pledges)
sentences(
    {
        "pledge.opened": _("%(by)s opened the pledge %(pledge)s."),
        "pledge.triggered": _(
            "The pledge %(pledge)s triggered: %(people)s people in %(assemblies)s assemblies."
        ),
        "pledge.lapsed": _(
            "The pledge %(pledge)s lapsed at its deadline, its thresholds unmet: nobody is bound."
        ),
        "pledge.vote_opened": _(
            "The members vote on committing the whole assembly to the pledge %(pledge)s."
        ),
        "pledge.assembly_committed": _(
            "By its members' vote, the assembly committed as a whole to the pledge %(pledge)s."
        ),
        "pledge.assembly_too_late": _(
            "The vote to commit to the pledge %(pledge)s was counted after its deadline: it "
            "binds nobody."
        ),
        "pledge.followup_opened": _(
            "%(by)s asked those who committed to the pledge %(pledge)s whether they took part."
        ),
        "pledge.followup_closed": _followup,
    }
)
