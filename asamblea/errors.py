"""The one exception every action raises when it refuses a request.

Its message is for the person who asked, already translated (lazily), and nothing was changed:
actions check everything before they write, and write in one transaction.
"""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """An action was refused. ``status`` is the HTTP status a view should answer with."""

    def __init__(self, message: Any, *, code: str = "refused", status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.status = status


class NotAllowed(Refused):
    """The person lacks the right to do this (403)."""

    def __init__(self, message: Any, *, code: str = "forbidden") -> None:
        super().__init__(message, code=code, status=403)


class Conflict(Refused):
    """The request came out of order: already done, closed, or changed meanwhile (409)."""

    def __init__(self, message: Any, *, code: str = "conflict") -> None:
        super().__init__(message, code=code, status=409)
