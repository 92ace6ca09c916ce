"""How people are named in ledger sentences (asamblea.ledger.sentences)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asamblea.accounts.models import Person
from asamblea.ledger.sentences import Reader, references, sentences

PERSON_KEYS = ("person", "by", "author", "delegate")


def _people(ids: set[Any], reader: Reader) -> dict[Any, str]:
    if not reader.names_visible:  # outsiders of a public body: no membership list
        return {pk: _("Someone") for pk in ids}
    return dict(Person.objects.filter(pk__in=ids).values_list("pk", "display_name"))


references(PERSON_KEYS, _people)
sentences(
    {
        # Recorded in the assembly whose facilitator issued the link (asamblea.accounts.actions).
        "member.reset_issued": gettext_lazy(
            "%(by)s issued a passphrase reset link for %(person)s."
        ),
        "member.reset_used": gettext_lazy("%(person)s set a new passphrase with a reset link."),
    }
)
