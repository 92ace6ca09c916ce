"""How people are named in ledger sentences (asamblea.ledger.sentences)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from asamblea.accounts.models import Person
from asamblea.ledger.sentences import Reader, references

PERSON_KEYS = ("person", "by", "author", "delegate")


def _people(ids: set[Any], reader: Reader) -> dict[Any, str]:
    if not reader.names_visible:  # outsiders of a public body: no membership list
        return {pk: _("Someone") for pk in ids}
    return dict(Person.objects.filter(pk__in=ids).values_list("pk", "display_name"))


references(PERSON_KEYS, _people)
