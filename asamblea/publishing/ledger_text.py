"""How the publishing app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from asamblea.ledger.sentences import Reader, first_of, for_body, labels, references, sentences
from asamblea.publishing.models import Statement, StatementRule


def _statements(ids: set[Any], reader: Reader) -> dict[Any, str]:
    return for_body(Statement, ids, reader)


references(("statement",), _statements)
labels("adoption", dict(StatementRule.Adoption.choices))
sentences(
    {
        "statute.statements": _("%(by)s set how statements are adopted: %(adoption)s."),
        "statement.drafted": first_of(
            _("%(by)s drafted the statement %(statement)s."), _("A statement was drafted.")
        ),
        "statement.edited": _("The draft statement %(statement)s was edited."),
        "statement.vote_opened": first_of(
            _("The statement %(statement)s was put to the vote %(poll)s."),
            _("The statement %(statement)s was put to the delegates' vote."),
        ),
        "statement.published": first_of(
            _("%(by)s adopted and published the statement %(statement)s."),
            _("The statement %(statement)s was adopted by the vote %(poll)s and published."),
            _("The statement “%(title)s” was published."),
        ),
        "statement.rejected": _("The statement %(statement)s was not adopted."),
        "statement.endorsement_vote_opened": _(
            "The endorsement of a coordination's statement was put to the vote %(poll)s."
        ),
        "statement.endorsed": first_of(
            _("%(body)s endorsed the statement %(statement)s."),
            _("A members-only assembly endorsed the statement %(statement)s."),
            _("%(body)s endorsed a coordination's statement."),
            _("This assembly endorsed a coordination's statement."),
        ),
        "statement.endorsement_declined": _(
            "This assembly's vote declined to endorse a coordination's statement."
        ),
    }
)
