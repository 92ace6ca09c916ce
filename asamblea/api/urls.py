"""``/api/``: the operations of :data:`asamblea.api.api.api`, each wrapped by
:func:`asamblea.api.http.api_view`, and a problem-details 404 for any other address."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from asamblea.api.api import api, not_found_view
from asamblea.api.http import api_view


def _wrapped(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = api_view(pattern.callback)
        else:
            _wrapped(pattern.url_patterns)
    return patterns


_patterns, _app_name, _namespace = api.urls  # ninja names them "ninja" and "api"
urlpatterns = _wrapped([*_patterns, path("<path:rest>", not_found_view, name="not_found")])
app_name = "api"
