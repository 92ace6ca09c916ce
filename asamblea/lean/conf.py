"""The settings the lean path reads on every request, each read from Django once.

``django.conf.settings`` is a lazy proxy: every attribute read goes through
``LazyObject.__getattribute__`` in Python, about a microsecond, and a vote page or a cast read
twenty of them (py-spy put it at 4-5 % of a worker's time under the voter's path). ``conf()``
returns a plain object that reads a setting from Django the first time it is asked for and keeps
it; Django's ``setting_changed`` signal (``override_settings``, pytest-django's ``settings``)
throws the copy away.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed


class _Snapshot:
    def __getattr__(self, name: str) -> Any:
        value = getattr(settings, name)
        setattr(self, name, value)
        return value


_current: list[_Snapshot] = []


def conf() -> Any:
    """The settings, read once each (as ``settings.NAME``: ``conf().NAME``)."""
    if not _current:
        _current.append(_Snapshot())
    return _current[0]


def _forget(**_kwargs: Any) -> None:
    _current.clear()


setting_changed.connect(_forget, dispatch_uid="asamblea.lean.conf")
