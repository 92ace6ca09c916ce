"""How the elections app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from asamblea.elections.models import Election
from asamblea.ledger.sentences import Reader, first_of, for_body, references, sentences


def _elections(ids: set[Any], reader: Reader) -> dict[Any, str]:
    return for_body(Election, ids, reader)


references(("election",), _elections)
sentences(
    {
        "election.created": _("The election “%(title)s” was called."),
        "election.nominated": first_of(
            _("%(by)s nominated %(person)s in %(election)s."),
            _("A candidacy was put forward in %(election)s."),
        ),
        "election.option_added": _("%(by)s added the option “%(name)s” to %(election)s."),
        "election.nomination_accepted": _("%(person)s accepted the nomination in %(election)s."),
        "election.nomination_declined": _("%(person)s declined the nomination in %(election)s."),
        "election.candidate_withdrew": _("%(person)s withdrew from %(election)s."),
        "election.voting_opened": _("%(by)s opened the voting in %(election)s."),
        "election.seed": _("The tie-break seed of %(election)s was fixed (see the details)."),
        "election.closed": first_of(
            _("%(by)s closed %(election)s and the count was published."),
            # A verifiable election closes when its trustees' decryptions are combined.
            _("%(election)s closed and the count was published."),
        ),
    }
)
