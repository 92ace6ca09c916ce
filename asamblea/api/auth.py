"""Who is asking: a personal access token (``Authorization: Bearer asm_…``) or nobody.

The API knows only tokens. A browser's session cookie is ignored here: the API acts for a
logged-in person only through a token they made, so a page on another site cannot make a
visitor's browser act through the API (no cross-site request forgery is possible, and the
API's views need no CSRF token). Writes need a token with the right scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from asamblea.api.actions import token_person
from asamblea.api.models import AccessToken
from asamblea.errors import NotAllowed, Refused


@dataclass(frozen=True)
class Principal:
    """The person a request acts for (None: anonymous) and the token that says so."""

    person: Any = None
    token: AccessToken | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def reader(self) -> Any:
        """The person whose rights apply to reads: only with a ``read`` token; otherwise reads
        see what anyone sees."""
        return self.person if "read" in self.scopes else None


ANONYMOUS = Principal()


class Unauthenticated(Refused):
    def __init__(self) -> None:
        super().__init__(
            _("This access token is not valid: it is wrong, revoked, or its account is closed."),
            code="bad_token",
            status=401,
        )


class TokenAuth(HttpBearer):
    """Bearer tokens; ``optional`` lets requests without any Authorization header through as
    anonymous (public reads), while a header with a bad token is always refused (401), never
    quietly read as anonymous."""

    def __init__(self, *, optional: bool) -> None:
        super().__init__()
        self.optional = optional

    def __call__(self, request: HttpRequest) -> Principal | None:
        header = request.headers.get("Authorization", "")
        if not header:
            if self.optional:
                return ANONYMOUS
            raise Refused(
                _("This needs a valid access token (Authorization: Bearer …)."),
                code="not_authenticated",
                status=401,
            )
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated()
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        found = token_person(token)
        if found is None:
            raise Unauthenticated()
        row, person = found
        return Principal(person=person, token=row, scopes=frozenset(row.scopes))


def principal(request: HttpRequest) -> Principal:
    value = getattr(request, "auth", None)
    return value if isinstance(value, Principal) else ANONYMOUS


def require_scope(request: HttpRequest, scope: str) -> Any:
    """The person of a token that has ``scope``; refuses otherwise (403)."""
    who = principal(request)
    if who.person is None:
        raise Unauthenticated()
    if scope not in who.scopes:
        raise NotAllowed(
            _("This access token may not do this: it lacks the scope %(scope)s.")
            % {"scope": scope},
            code="missing_scope",
        )
    return who.person
