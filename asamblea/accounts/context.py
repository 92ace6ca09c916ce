"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# Codes issued but not yet confirmed as written down, in the person's own session.
FRESH_CODES = "fresh_recovery_codes"


def fresh_recovery_codes(request: HttpRequest) -> dict[str, Any]:
    """Recovery codes just issued (at sign-up or on request), shown at the top of every page
    until the person says they have written them down."""
    session = getattr(request, "session", None)
    codes = session.get(FRESH_CODES) if session is not None else None
    return {"fresh_recovery_codes": codes} if codes else {}
