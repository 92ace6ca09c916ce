"""Dates people type, and dates already stored.

Every date a person enters is bounded to a sensible range (:func:`check_moment`, called by the
actions, and :class:`BoundedDateTimeField` on the forms, which puts the same bounds in the HTML
and says what went wrong in the person's language). Dates already stored may still be anything
(a row written before the bounds, or edited by hand): :func:`install_safe_localtime` makes the
templates show such a date in UTC instead of failing the whole page when converting it to local
time would leave the calendar (year 1 or 9999 in a time zone away from UTC).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.errors import Refused

# How far ahead a meeting, a vote's closing time, a consultation's deadline may be set; and how
# far back a meeting may be dated (one held and recorded afterwards).
MAX_AHEAD = timedelta(days=10 * 366)
MAX_BEHIND = timedelta(days=366)


def check_moment(
    value: datetime | None, *, future_only: bool = True, ahead: timedelta = MAX_AHEAD
) -> None:
    """Refuse a moment outside the sensible range: not more than ``ahead`` from now, and, when
    ``future_only``, in the future (otherwise not more than a year back)."""
    if value is None:
        return
    now = timezone.now()
    if value > now + ahead:
        raise Refused(
            _("That date is too far ahead: choose one before %(limit)s.")
            % {"limit": _format(now + ahead)},
            code="date_out_of_range",
        )
    if future_only and value <= now:
        raise Refused(_("The closing time must be in the future."), code="date_in_past")
    if not future_only and value < now - MAX_BEHIND:
        raise Refused(
            _("That date is too far back: choose one after %(limit)s.")
            % {"limit": _format(now - MAX_BEHIND)},
            code="date_out_of_range",
        )


def _format(moment: datetime) -> str:
    from django.utils.formats import date_format

    return date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


class BoundedDateTimeInput(forms.DateTimeInput):
    """A ``datetime-local`` input whose ``min`` and ``max`` are worked out when it is drawn."""

    input_type = "datetime-local"

    def __init__(self, *, future_only: bool = True, **kwargs: Any) -> None:
        self.future_only = future_only
        super().__init__(**kwargs)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        now = timezone.localtime()
        low = now if self.future_only else now - MAX_BEHIND
        bounds = {
            "min": low.strftime("%Y-%m-%dT%H:%M"),
            "max": (now + MAX_AHEAD).strftime("%Y-%m-%dT%H:%M"),
        }
        return super().get_context(name, value, {**(attrs or {}), **bounds})


class BoundedDateTimeField(forms.DateTimeField):
    """A date-time field with the range of :func:`check_moment`, checked on the form (with a
    translated message) and given to the browser as ``min`` / ``max``."""

    def __init__(self, *, future_only: bool = True, **kwargs: Any) -> None:
        self.future_only = future_only
        kwargs.setdefault("widget", BoundedDateTimeInput(future_only=future_only))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        try:
            result = super().to_python(value)
        except OverflowError as exc:  # a year like 9999 plus the time zone
            raise forms.ValidationError(_("Enter a valid date and time.")) from exc
        return result

    def validate(self, value: Any) -> None:
        super().validate(value)
        try:
            check_moment(value, future_only=self.future_only)
        except Refused as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc


def safe_localtime(value: datetime) -> datetime:
    """``value`` in local time, or as stored where local time would leave the calendar (a date
    stored at 0001-01-01 or 9999-12-31): a printed date, never an error for the whole page."""
    try:
        return timezone.localtime(value)
    except (OverflowError, ValueError):
        return value


def install_safe_localtime() -> None:
    """Let templates render a stored date whose local time would leave the calendar: shown in
    UTC rather than an error for the whole page. Django's templates convert through
    ``django.template.base.template_localtime``, the one name replaced here."""
    from django.template import base

    original = base.template_localtime
    if getattr(original, "asamblea_safe", False):
        return

    def safe(value: Any, use_tz: bool | None = None) -> Any:
        try:
            return original(value, use_tz)
        except (OverflowError, ValueError):
            return value

    safe.asamblea_safe = True  # type: ignore[attr-defined]
    base.template_localtime = safe  # type: ignore[assignment]
