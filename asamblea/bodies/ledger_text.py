"""How the bodies app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body, Membership
from asamblea.ledger.sentences import Reader, labels, references, sentences


def _bodies(ids: set[Any], reader: Reader) -> dict[Any, str]:
    return dict(Body.objects.filter(pk__in=ids).values_list("pk", "name"))


references(("body", "coordination", "to_body"), _bodies)
labels("kind", dict(Body.Kind.choices))
labels(
    "role",
    {
        Membership.Role.MEMBER: _("a member"),
        Membership.Role.FACILITATOR: _("a facilitator"),
        Membership.Role.OBSERVER: _("an observer"),
    },
)
sentences(
    {
        "body.created": _("“%(name)s” was founded (%(kind)s)."),
        "member.joined": _("%(person)s joined as %(role)s."),
        "member.role_changed": _("%(person)s is now %(role)s."),
        "member.suspended": _("%(by)s suspended %(person)s."),
        "member.removed": _("%(by)s removed %(person)s."),
        "member.reinstated": _("%(by)s reinstated %(person)s."),
        "statute.set": _("The statute was changed (see the details)."),
        "invitation.revoked": _("%(by)s revoked an invitation."),
        "invitation.reissued": _(
            "%(by)s issued an invitation again; the old link no longer works."
        ),
    }
)
