"""How the surveys app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from asamblea.ledger.sentences import Reader, first_of, references, sentences
from asamblea.surveys.models import Survey


def _surveys(ids: set[Any], reader: Reader) -> dict[Any, str]:
    rows = Survey.objects.filter(pk__in=ids).values_list("pk", "title")
    return {pk: _g("“%(title)s”") % {"title": title} for pk, title in rows}


references(("survey",), _surveys)
sentences(
    {
        "survey.opened": _("%(by)s sent the survey %(survey)s to %(electorate)s people."),
        "survey.closed": first_of(
            _("%(by)s closed the survey %(survey)s: %(responses)s answered."),
            _("The survey %(survey)s closed at its time: %(responses)s answered."),
        ),
    }
)
